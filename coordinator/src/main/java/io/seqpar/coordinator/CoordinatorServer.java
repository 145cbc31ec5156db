package io.seqpar.coordinator;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.seqpar.coordinator.job.JobCoordinator;
import io.seqpar.coordinator.job.JobSpecValidator;
import io.seqpar.coordinator.metrics.CoordinatorMetrics;
import io.seqpar.coordinator.metrics.MetricsHttpServer;
import io.seqpar.coordinator.rpc.JobAdminService;
import io.seqpar.coordinator.rpc.JobTokenInterceptor;
import io.seqpar.coordinator.rpc.WorkerControlService;
import io.seqpar.io.AtomicFiles;
import io.seqpar.proto.v1.JobAdminGrpc;
import io.seqpar.proto.v1.WorkerControlGrpc;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Lifecycle of the coordinator process: wires the services onto a caller-supplied {@link
 * ServerBuilder} (Netty in production, in-process in tests), adds the token interceptor, gRPC
 * health and reflection, starts {@code /metrics}, reports the bound ports on stdout and in the
 * ready file, and shuts everything down in order.
 */
public final class CoordinatorServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(CoordinatorServer.class.getName());

  /** Shortest client keepalive period accepted. */
  static final long PERMIT_KEEPALIVE_MS = 5_000;

  /** Server keepalive ping period and ack timeout. */
  static final long SERVER_KEEPALIVE_MS = 20_000;

  private final CoordinatorContext ctx;
  private final ScheduledExecutorService timers;
  private final CoordinatorMetrics metrics;
  private final JobCoordinator coordinator;
  private final HealthStatusManager health = new HealthStatusManager();
  private final Server server;
  private MetricsHttpServer metricsHttp;

  /** A server on {@code builder}; call {@link #start(PrintStream)} next. */
  public CoordinatorServer(final ServerBuilder<?> builder, final CoordinatorContext ctx) {
    this.ctx = ctx.conclude();
    this.timers =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("seqpar-coordinator-timers").factory());
    this.metrics =
        new CoordinatorMetrics(
            CoordinatorServer.class.getPackage().getImplementationVersion() == null
                ? "dev"
                : CoordinatorServer.class.getPackage().getImplementationVersion(),
            ctx.metricsJsonl());
    this.coordinator = new JobCoordinator(timers, new JobSpecValidator(), metrics);
    final JobTokenInterceptor auth = new JobTokenInterceptor(ctx.token());
    this.server =
        builder
            .addService(ServerInterceptors.intercept(new WorkerControlService(coordinator), auth))
            .addService(ServerInterceptors.intercept(new JobAdminService(coordinator), auth))
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build();
  }

  /** A Netty server builder for {@code ctx.port()}, with TLS when a certificate is configured. */
  public static ServerBuilder<?> nettyBuilder(final CoordinatorContext ctx) {
    ctx.conclude();
    return Grpc.newServerBuilderForPort(ctx.port(), credentials(ctx))
        // Workers ping every 10 s on their event stream to notice a dead host; allow it (the
        // default 5 min minimum would answer such pings with GOAWAY too_many_pings).
        .permitKeepAliveTime(PERMIT_KEEPALIVE_MS, TimeUnit.MILLISECONDS)
        // Ping idle workers so a half-open connection (worker host gone) is closed within ~40 s.
        .keepAliveTime(SERVER_KEEPALIVE_MS, TimeUnit.MILLISECONDS)
        .keepAliveTimeout(SERVER_KEEPALIVE_MS, TimeUnit.MILLISECONDS);
  }

  static ServerCredentials credentials(final CoordinatorContext ctx) {
    if (ctx.tlsCert() == null) {
      return InsecureServerCredentials.create();
    }
    try {
      final TlsServerCredentials.Builder tls =
          TlsServerCredentials.newBuilder()
              .keyManager(ctx.tlsCert().toFile(), ctx.tlsKey().toFile());
      if (ctx.tlsClientCa() != null) {
        tls.trustManager(ctx.tlsClientCa().toFile())
            .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      }
      return tls.build();
    } catch (final IOException e) {
      throw new UncheckedIOException("TLS: cannot read " + ctx.tlsCert() + " / " + ctx.tlsKey(), e);
    }
  }

  /** Starts serving, submits the configured job, prints the ports and writes the ready file. */
  public CoordinatorServer start(final PrintStream out) {
    try {
      server.start();
    } catch (final IOException e) {
      throw new UncheckedIOException("coordinator: cannot bind port " + ctx.port(), e);
    }
    if (ctx.metricsPort() != CoordinatorContext.METRICS_DISABLED) {
      metricsHttp = MetricsHttpServer.start(ctx.metricsPort(), metrics);
    }
    if (ctx.job() != null) {
      coordinator.submit(ctx.jobId(), ctx.job());
    }
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(WorkerControlGrpc.SERVICE_NAME, ServingStatus.SERVING);
    health.setStatus(JobAdminGrpc.SERVICE_NAME, ServingStatus.SERVING);
    out.println(
        "seqpar coordinator: listening on port "
            + port()
            + (metricsHttp == null ? "" : ", metrics on port " + metricsPort()));
    out.flush();
    if (ctx.readyFile() != null) {
      writeReadyFile(ctx.readyFile());
    }
    LOG.log(System.Logger.Level.INFO, "coordinator started: {0}", ctx);
    return this;
  }

  /**
   * Writes {"grpc_port":..,"metrics_port":..,"pid":..} to a temp file, then renames it atomically.
   */
  private void writeReadyFile(final Path file) {
    final String json =
        "{\"grpc_port\":"
            + port()
            + ",\"metrics_port\":"
            + metricsPort()
            + ",\"pid\":"
            + ProcessHandle.current().pid()
            + "}\n";
    try {
      AtomicFiles.write(file, json.getBytes(StandardCharsets.UTF_8));
    } catch (final IOException e) {
      throw new UncheckedIOException("coordinator: cannot write ready file " + file, e);
    }
  }

  /** The bound gRPC port (-1 for in-process servers). */
  public int port() {
    return server.getPort();
  }

  /** The bound metrics port, or -1 when metrics are off. */
  public int metricsPort() {
    return metricsHttp == null ? CoordinatorContext.METRICS_DISABLED : metricsHttp.port();
  }

  /** The job state machine (tests and the CLI inspect it). */
  public JobCoordinator coordinator() {
    return coordinator;
  }

  /** The metrics registry. */
  public CoordinatorMetrics metrics() {
    return metrics;
  }

  /** Blocks until the job is terminal or {@code timeoutMs} passes; true if terminal. */
  public boolean awaitJobTerminal(final long timeoutMs) throws InterruptedException {
    final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!coordinator.state().isTerminal()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.sleep(50); // polling a state field; a condition variable would not be simpler here
    }
    return true;
  }

  /** Blocks until the gRPC server terminated. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** Cancels a running job (workers get ABORT), stops serving and waits up to the grace period. */
  @Override
  public void close() {
    health.enterTerminalState();
    coordinator.close();
    server.shutdown();
    try {
      if (!server.awaitTermination(ctx.shutdownGraceMs(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
        server.awaitTermination(ctx.shutdownGraceMs(), TimeUnit.MILLISECONDS);
      }
    } catch (final InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      if (metricsHttp != null) {
        metricsHttp.close();
      }
      timers.shutdownNow();
      metrics.close();
    }
  }
}
