package io.seqpar.coordinator.metrics;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Serves {@code GET /metrics} in Prometheus text format on its own port (0 = ephemeral). */
public final class MetricsHttpServer implements AutoCloseable {
  /** Content type of the text exposition format. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsHttpServer(final HttpServer server, final ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Starts serving {@code metrics} on {@code port} of every interface. */
  public static MetricsHttpServer start(final int port, final CoordinatorMetrics metrics) {
    try {
      final HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
      server.createContext(
          "/metrics",
          exchange -> {
            try (exchange) {
              if (!"GET".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(405, -1);
                return;
              }
              final byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
              exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
              exchange.sendResponseHeaders(200, body.length);
              try (OutputStream os = exchange.getResponseBody()) {
                os.write(body);
              }
            }
          });
      final ExecutorService executor =
          Executors.newSingleThreadExecutor(
              Thread.ofPlatform().daemon().name("seqpar-metrics-http").factory());
      server.setExecutor(executor);
      server.start();
      return new MetricsHttpServer(server, executor);
    } catch (final IOException e) {
      throw new UncheckedIOException("metrics: cannot bind HTTP port " + port, e);
    }
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
