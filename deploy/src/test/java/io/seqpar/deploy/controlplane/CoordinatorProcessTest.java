package io.seqpar.deploy.controlplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.seqpar.deploy.cli.SeqparMain;
import io.seqpar.proto.v1.RegisterResponse;
import io.seqpar.rpc.JobToken;
import io.seqpar.worker.runtime.CoordinatorClient;
import io.seqpar.worker.runtime.CoordinatorClientOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A real coordinator JVM started through the CLI, then killed: workers must abort on their own. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CoordinatorProcessTest {
  static final String TOKEN = "process-token";
  static final long INTERVAL_MS = 500;
  static final long TIMEOUT_MS = 1_500;

  @Test
  void killedCoordinatorMakesWorkersAbortWithinTheirDeadline(@TempDir final Path dir)
      throws Exception {
    final Path ready = dir.resolve("ready.json");
    final Path log = dir.resolve("coordinator.log");
    final String java = ProcessHandle.current().info().command().orElse("java");
    final ProcessBuilder pb =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                SeqparMain.class.getName(),
                "coordinator",
                "--job-json",
                Jobs.json(2, 100, INTERVAL_MS, TIMEOUT_MS),
                "--port",
                "0",
                "--ready-file",
                ready.toString(),
                "--metrics-port",
                "0")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("SEQPAR_TOKEN", TOKEN);
    final Process proc = pb.start();
    ManagedChannel ch = null;
    final List<CoordinatorClient> clients = new ArrayList<>();
    try {
      final int port = awaitReadyPort(ready, proc, log);
      assertTrue(
          Files.readString(log).contains("listening on port " + port), Files.readString(log));
      ch =
          Grpc.newChannelBuilderForAddress("localhost", port, InsecureChannelCredentials.create())
              .build();
      final List<CoordinatorClientTest.Outcome> outcomes = new ArrayList<>();
      try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
        final List<Future<RegisterResponse>> regs = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
          final CoordinatorClientTest.Outcome o = new CoordinatorClientTest.Outcome();
          final CoordinatorClient c =
              new CoordinatorClient(
                  ch, JobToken.of(TOKEN), CoordinatorClientOptions.defaults("localhost"), o);
          clients.add(c);
          outcomes.add(o);
          final int rank = r;
          regs.add(pool.submit(() -> c.register(CoordinatorClientTest.request(rank))));
        }
        for (final Future<RegisterResponse> f : regs) {
          assertEquals(TIMEOUT_MS, f.get(60, TimeUnit.SECONDS).getHeartbeatTimeoutMs());
        }
      }
      clients.forEach(CoordinatorClient::start);

      // The CLI talks to the same process: status shows the running job (flags override env).
      final StringWriter out = new StringWriter();
      final Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
      final CommandLine cli = SeqparMain.commandLine();
      cli.setOut(new PrintWriter(out, true));
      assertEquals(
          0,
          cli.execute(
              "job",
              "status",
              "--coordinator",
              "localhost:" + port,
              "--token-file",
              tokenFile.toString()));
      assertTrue(
          out.toString().contains("running") && out.toString().contains("registered 2/2"),
          out.toString());

      proc.destroyForcibly(); // SIGKILL: no shutdown hook, no abort event
      assertTrue(proc.waitFor(30, TimeUnit.SECONDS), "coordinator process did not die");
      final long killedNs = System.nanoTime();
      for (final CoordinatorClientTest.Outcome o : outcomes) {
        final String reason = o.abort.get(30, TimeUnit.SECONDS);
        final long afterMs = TimeUnit.NANOSECONDS.toMillis(o.abortNs - killedNs);
        assertTrue(reason.contains("coordinator unreachable"), reason);
        // Deadline plus at most one heartbeat period and one call deadline, plus 1 s for a busy
        // CPU.
        assertTrue(
            afterMs <= TIMEOUT_MS + 2 * INTERVAL_MS + 1_000,
            "aborted " + afterMs + " ms after the kill");
      }
    } finally {
      clients.forEach(CoordinatorClient::close);
      if (ch != null) {
        ch.shutdownNow();
      }
      proc.destroyForcibly();
    }
  }

  static int awaitReadyPort(final Path ready, final Process proc, final Path log) throws Exception {
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    final Pattern port = Pattern.compile("\"grpc_port\":(\\d+)");
    while (true) {
      if (Files.exists(ready)) {
        final Matcher m = port.matcher(Files.readString(ready));
        assertTrue(m.find(), "ready file names the port");
        return Integer.parseInt(m.group(1));
      }
      assertTrue(proc.isAlive(), "coordinator exited early: " + Files.readString(log));
      assertTrue(
          System.nanoTime() - deadline < 0, "no ready file after 90 s: " + Files.readString(log));
      TimeUnit.MILLISECONDS.sleep(50); // deadline-bounded poll for the ready file
    }
  }
}
