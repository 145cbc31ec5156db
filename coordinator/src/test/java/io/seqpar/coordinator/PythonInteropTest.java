package io.seqpar.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.proto.v1.JobStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client the project did not write: Debian's python3-grpcio with stubs generated from proto/ by
 * python3-grpc-tools registers, heartbeats and reads the status of a real (Netty) coordinator.
 * Skipped, with the reason printed, where those packages are missing (CI installs them).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PythonInteropTest {
  static final String PYTHON = "/usr/bin/python3";

  @Test
  void pythonWorkerRegistersHeartbeatsAndReadsStatus(@TempDir final Path dir) throws Exception {
    final String missing = pythonGrpcMissing();
    if (missing != null) {
      System.out.println("PythonInteropTest skipped: " + missing);
    }
    Assumptions.assumeTrue(
        missing == null, "python3-grpcio / python3-grpc-tools unavailable: " + missing);
    final Path repo = Path.of(System.getProperty("seqpar.repo.dir", ".."));
    final Path protoDir = repo.resolve("proto/src/main/proto");
    final Path script = repo.resolve("coordinator/src/test/python/interop_client.py");
    final CoordinatorContext ctx =
        new CoordinatorContext()
            .port(0)
            .token(InProcessCoordinator.TOKEN)
            .job(TestSpecs.valid(1, 1000));
    try (CoordinatorServer server =
        new CoordinatorServer(CoordinatorServer.nettyBuilder(ctx), ctx)
            .start(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
      final ProcessBuilder pb =
          new ProcessBuilder(
                  PYTHON,
                  script.toString(),
                  "--port",
                  Integer.toString(server.port()),
                  "--proto-dir",
                  protoDir.toString(),
                  "--work-dir",
                  dir.toString())
              .redirectErrorStream(true);
      pb.environment().put("SEQPAR_TOKEN", InProcessCoordinator.TOKEN);
      // Stubs from Debian's old protoc need the pure-Python protobuf runtime.
      pb.environment().put("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python");
      final Process p = pb.start();
      final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python client timed out: " + out);
      assertEquals(0, p.exitValue(), "python client failed: " + out);
      assertTrue(
          out.contains("\"rank\": 0")
              && out.contains("\"status_state\": \"JOB_STATE_RUNNING\"")
              && out.contains("\"shard\": [0, 1000, 1]"),
          out);
      final JobStatus st = server.coordinator().status("");
      assertEquals("python-worker", st.getRanks(0).getWorkerId());
    }
  }

  /** Null if /usr/bin/python3 can import grpc and grpc_tools, else why not. */
  static String pythonGrpcMissing() {
    if (!Files.isExecutable(Path.of(PYTHON))) {
      return PYTHON + " not found";
    }
    try {
      final Process p =
          new ProcessBuilder(List.of(PYTHON, "-c", "import grpc, grpc_tools"))
              .redirectErrorStream(true)
              .start();
      final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "python import check timed out";
      }
      return p.exitValue() == 0 ? null : "import grpc, grpc_tools failed: " + out.strip();
    } catch (final Exception e) {
      return "cannot run " + PYTHON + ": " + e;
    }
  }
}
