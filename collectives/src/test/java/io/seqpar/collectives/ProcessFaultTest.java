package io.seqpar.collectives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.collectives.launch.RankProcessGroup;
import io.seqpar.collectives.transport.EmbeddedDriver;
import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real processes: SIGKILL one rank in the middle of a stream of All-Scans (or of AllReduces through
 * shared staging, which wait on memory rather than messages); every surviving rank must throw
 * within the collective deadline + 1 s, naming the op, a rank, the elapsed time and the epoch. No
 * child outlives the test, and the killed UDP rank's driver directory is removed.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ProcessFaultTest {
  private static final int RANKS = 4;
  private static final int VICTIM = 1;
  private static final long TIMEOUT_MS = 6000;
  private static final long EPOCH = 7;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"ipc", "udp", "ipc-single-copy", "ipc-combine", "ipc-allreduce-shared"})
  void killedRankMakesEverySurvivorThrowWithinTheDeadline(final String variant) throws Exception {
    // ipc-single-copy: 64 KiB blocks, sent as descriptors the receiver copies from the sender.
    // ipc-combine: the same blocks in shared windows, combined by the receiver out of them.
    // ipc-allreduce-shared: AllReduces through the staging area the ranks share (no messages).
    final boolean allReduce = variant.equals("ipc-allreduce-shared");
    final String transport = variant.startsWith("ipc") ? "ipc" : "udp";
    final boolean combine = variant.equals("ipc-combine");
    final int rows = variant.equals("ipc-single-copy") || combine ? 1024 : 64;
    final EmbeddedDriver driver =
        transport.equals("ipc") ? EmbeddedDriver.launchUnique("seqpar-fault") : null;
    final File victimDir;
    try (RankProcessGroup g =
        RankProcessGroup.start(
            RANKS,
            r -> {
              final List<String> a = new ArrayList<>();
              a.add("transport=" + transport);
              a.add("rank=" + r);
              a.add("ranks=" + RANKS);
              a.add("job=77");
              a.add("epoch=" + EPOCH);
              a.add("timeoutMs=" + TIMEOUT_MS);
              a.add("workload=fault");
              a.add("op=" + (allReduce ? "allreduce-shared" : "allscan"));
              a.add("rows=" + rows);
              a.add("shared=" + combine);
              a.add("termLength=" + (1 << 20));
              if (driver != null) {
                a.add("aeronDir=" + driver.aeronDirectoryName());
              }
              return a;
            },
            TimeUnit.SECONDS.toNanos(120))) {
      final List<String> log = new ArrayList<>();
      int ready = 0;
      long copied = 0;
      long combined = 0;
      final long readyDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (ready < RANKS) {
        final RankProcessGroup.Line l = g.next(readyDeadline);
        assertNotNull(l, "ranks not READY in time: " + log);
        log.add(l.rank() + ": " + l.text());
        if (l.text().startsWith("READY")) {
          ready++;
          copied += Long.parseLong(field(l.text(), "copied="));
          combined += Long.parseLong(field(l.text(), "combined="));
        }
        assertTrue(
            !l.text().startsWith("FAILED") && !l.text().equals("EXIT"), "early failure: " + log);
      }
      assertEquals(
          variant.equals("ipc-single-copy") && SingleCopyTest.crossProcessReadsAllowed(),
          copied > 0,
          "messages copied from a sender before the kill: " + copied + " " + log);
      assertEquals(
          combine && SingleCopyTest.crossProcessReadsAllowed(),
          combined > 0,
          "messages combined out of a sender's windows before the kill: " + combined + " " + log);
      victimDir = new File(g.rankDirPrefix() + "-" + VICTIM);
      assertEquals(
          transport.equals("udp"), victimDir.isDirectory(), "rank driver dir " + victimDir);
      g.kill(VICTIM);
      final long killedAt = System.nanoTime();
      final Map<Integer, String> failed = new HashMap<>();
      final long deadline = killedAt + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS + 20_000);
      while (failed.size() < RANKS - 1) {
        final RankProcessGroup.Line l = g.next(deadline);
        assertNotNull(l, "survivors did not all fail in time: " + failed + " log=" + log);
        log.add(l.rank() + ": " + l.text());
        if (l.rank() != VICTIM && l.text().startsWith("FAILED ")) {
          failed.put(l.rank(), l.text());
        }
      }
      for (final Map.Entry<Integer, String> e : failed.entrySet()) {
        final String[] f = e.getValue().split(" ", 3);
        final long elapsedMs = Long.parseLong(f[1]);
        final String msg = f[2];
        assertTrue(
            elapsedMs <= TIMEOUT_MS + 1000,
            "rank " + e.getKey() + " took " + elapsedMs + " ms: " + msg);
        assertTrue(msg.contains("io.seqpar.collectives.exceptions."), msg);
        assertTrue(
            msg.contains(
                (allReduce ? "allreduce(shared)" : "allscan fwd") + ": rank=" + e.getKey()),
            msg);
        assertTrue(msg.contains("epoch=" + EPOCH), msg);
        assertTrue(msg.matches(".*(waited|after) \\d+ ms.*"), msg);
      }
      final Integer[] codes = g.awaitExit(TimeUnit.SECONDS.toNanos(30));
      for (int r = 0; r < RANKS; r++) {
        if (r != VICTIM) {
          assertEquals(3, codes[r], "rank " + r + " exit code; log=" + log);
        }
      }
    } finally {
      if (driver != null) {
        driver.close();
      }
    }
    assertFalse(victimDir.exists(), "killed rank left " + victimDir);
  }

  /** The value after {@code key} in a {@code READY} line, up to the next space. */
  private static String field(final String line, final String key) {
    final int from = line.indexOf(key) + key.length();
    final int to = line.indexOf(' ', from);
    return to < 0 ? line.substring(from) : line.substring(from, to);
  }
}
