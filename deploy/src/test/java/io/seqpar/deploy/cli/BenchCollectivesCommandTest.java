package io.seqpar.deploy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BenchCollectivesCommandTest {
  private record Result(int code, String out, String err) {}

  private static Result run(final String... args) {
    final CommandLine cl = SeqparMain.commandLine();
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    final int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void rejectsBadOptionsWithExitTwoNamingOptionValueAndRange() {
    final Result op = run("bench", "collectives", "--op", "scatter");
    assertEquals(2, op.code());
    assertTrue(op.err().contains("--op: scatter is out of range (allowed: allscan|"), op.err());
    final Result ranks = run("bench", "collectives", "--op", "ring", "--ranks", "0");
    assertEquals(2, ranks.code());
    assertTrue(ranks.err().contains("--ranks: 0 is out of range (allowed: 1..64)"), ranks.err());
    final Result size = run("bench", "collectives", "--op", "ring", "--min-bytes", "6");
    assertEquals(2, size.code());
    assertTrue(size.err().contains("--min-bytes: 6"), size.err());
    final Result max =
        run("bench", "collectives", "--op", "ring", "--min-bytes", "8K", "--max-bytes", "4K");
    assertEquals(2, max.code());
    assertTrue(max.err().contains("--max-bytes: 4K"), max.err());
    final Result t = run("bench", "collectives", "--op", "ring", "--transport", "tcp");
    assertEquals(2, t.code());
    assertTrue(t.err().contains("--transport: tcp"), t.err());
    final Result term = run("bench", "collectives", "--op", "ring", "--term-length", "3M");
    assertEquals(2, term.code());
    assertTrue(
        term.err().contains("--term-length: 3M is out of range (allowed: auto or a power of two"),
        term.err());
  }

  @Test
  void rejectsABadCoreBindingSettingWithExitTwo() {
    final Map<String, String> env = new HashMap<>(System.getenv());
    env.put("SEQPAR_BIND", "cores");
    EnvSupport.overrideForTests(env);
    try {
      final Result r =
          run("bench", "collectives", "--op", "ring", "--transport", "inmem", "--max-bytes", "4K");
      assertEquals(2, r.code(), r.err());
      assertTrue(
          r.err().contains("SEQPAR_BIND: 'cores' is not allowed (allowed: core|none)"), r.err());
    } finally {
      EnvSupport.overrideForTests(System.getenv());
    }
  }

  @Test
  void parsesSizesWithBinarySuffixes() {
    assertEquals(4096, BenchCollectivesCommand.parseSize("x", "4K"));
    assertEquals(64L << 20, BenchCollectivesCommand.parseSize("x", "64M"));
    assertEquals(1L << 30, BenchCollectivesCommand.parseSize("x", "1g"));
    assertEquals(12, BenchCollectivesCommand.parseSize("x", "12"));
    assertEquals(-1, BenchCollectivesCommand.parseSize("x", "4Q"));
  }

  @Test
  void inMemorySweepPrintsJsonlWithRequiredFieldsAndNoWrongElements(@TempDir final Path dir)
      throws Exception {
    for (final String op :
        List.of("allscan", "allgather", "chain", "tree", "ring", "allreduce", "allgather-raw")) {
      final Path file = dir.resolve(op + ".jsonl");
      final Result r =
          run(
              "bench",
              "collectives",
              "--op",
              op,
              "--ranks",
              "3",
              "--transport",
              "inmem",
              "--min-bytes",
              "4K",
              "--max-bytes",
              "256K",
              "--factor",
              "8",
              "--warmup",
              "1",
              "--iters",
              "3",
              "--format",
              "jsonl",
              "--out",
              file.toString());
      assertEquals(0, r.code(), op + ": " + r.err());
      final List<String> lines = Files.readAllLines(file);
      assertEquals(3, lines.size(), op + ": " + lines);
      for (final String l : lines) {
        for (final String field :
            List.of(
                "\"op\":\"" + op + "\"",
                "\"algorithm\":",
                "\"transport\":\"inmem\"",
                "\"ranks\":3",
                "\"bytes\":",
                "\"time_us_median\":",
                "\"time_us_p99\":",
                "\"algbw_GBps\":",
                "\"busbw_GBps\":",
                "\"busbw_factor\":",
                "\"wrong\":0")) {
          assertTrue(l.contains(field), op + " missing " + field + " in " + l);
        }
      }
    }
  }

  @Test
  void ipcSweepWithRealProcessesPrintsTheTable() {
    final Result r =
        run(
            "bench",
            "collectives",
            "--op",
            "allscan",
            "--ranks",
            "3",
            "--transport",
            "ipc",
            "--min-bytes",
            "64K",
            "--max-bytes",
            "256K",
            "--factor",
            "4",
            "--warmup",
            "1",
            "--iters",
            "3");
    assertEquals(0, r.code(), r.err() + r.out());
    assertTrue(r.out().contains("#wrong"), r.out());
    assertTrue(r.out().contains("# wrong elements: 0 OK"), r.out());
    assertTrue(r.out().contains("262144"), r.out());
    // auto: four times the largest message, at least the 4 MiB default.
    assertTrue(r.out().contains(" term=4194304 "), r.out());
    // Blocks of 64 KiB and more are combined by the next rank process straight out of the
    // previous one's shared buffers, unless the host's ptrace policy forbids reading a sibling
    // (Yama ptrace_scope > 0: frames, still exact).
    if (crossProcessReadsAllowed()) {
      assertTrue(r.out().contains("# combined messages: "), r.out());
    }
  }

  private static boolean crossProcessReadsAllowed() {
    final java.nio.file.Path yama = java.nio.file.Path.of("/proc/sys/kernel/yama/ptrace_scope");
    try {
      return io.seqpar.collectives.transport.CrossMemory.available()
          && (!java.nio.file.Files.exists(yama)
              || java.nio.file.Files.readString(yama).trim().equals("0"));
    } catch (final java.io.IOException e) {
      return false;
    }
  }
}
