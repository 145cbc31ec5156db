package io.seqpar.deploy.controlplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.deploy.cli.SeqparMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** CLI behaviour that needs no coordinator: validation and usage errors exit 2. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ControlPlaneCliTest {
  private record Result(int code, String out, String err) {}

  private static Result run(final String... args) {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final CommandLine cl = SeqparMain.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return new Result(cl.execute(args), out.toString(), err.toString());
  }

  @Test
  void dryRunValidatesAndPrintsDefaults(@TempDir final Path dir) throws Exception {
    final Path yaml =
        Files.writeString(
            dir.resolve("job.yaml"),
            """
        name: cli-job
        model: {layers: 1, d_model: 32, heads: 1, dk: 16, dv: 16, mlp_ratio: 2, vocab: 64, decay_mode: plain}
        parallel: {world_size: 2, strategy: auto}
        seq_len: 1000
        chunk: 8
        data: {synthetic: {}, batch: 1}
        optimizer: {lr: 0.001}
        steps: 10
        """);
    final Result r = run("job", "submit", "--job", yaml.toString(), "--dry-run");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("\"heartbeat_interval_ms\": \"1000\""), r.out());
  }

  @Test
  void invalidSpecIsAUsageErrorNamingTheField() {
    final String bad = Jobs.json(0, 10, 1_000, 5_000);
    final Result submit = run("job", "submit", "--job-json", bad, "--dry-run");
    assertEquals(2, submit.code());
    assertTrue(submit.err().contains("parallel.world_size: 0"), submit.err());
    final Result coord = run("coordinator", "--job-json", bad, "--port", "0");
    assertEquals(2, coord.code());
    assertTrue(coord.err().contains("parallel.world_size"), coord.err());
  }

  @Test
  void coordinatorWithoutTokenIsAUsageError() {
    final Result r =
        run(
            "coordinator",
            "--job-json",
            Jobs.json(1, 1, 1_000, 5_000),
            "--port",
            "0",
            "--token-file",
            "/no/such/token");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--token-file"), r.err());
  }
}
