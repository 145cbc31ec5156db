package io.seqpar.worker.sp;

import static org.assertj.core.api.Assertions.assertThat;

import io.seqpar.collectives.launch.RankProcessGroup;
import io.seqpar.collectives.transport.EmbeddedDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ring attention with ranks as real processes over Aeron IPC: SIGKILL one rank mid-ring and every
 * other rank fails within the collective deadline (plus detection slack), each naming the killed
 * rank, and exits with {@link SpRankMain#EXIT_FAILED}.
 */
class SoftmaxProcessTest {
  @Test
  @Timeout(300)
  void killingOneRankMidRingFailsEveryOtherRankNamingIt() {
    final int ranks = 3;
    final long collectiveTimeoutMs = 5_000;
    final EmbeddedDriver driver = EmbeddedDriver.launchUnique("seqpar-softmax-kill");
    final List<String> failures = new ArrayList<>();
    try (RankProcessGroup g =
        RankProcessGroup.start(
            ranks,
            SpRankMain.class.getName(),
            r ->
                List.of(
                    "transport=ipc",
                    "rank=" + r,
                    "ranks=" + ranks,
                    "aeronDir=" + driver.aeronDirectoryName(),
                    "timeoutMs=" + collectiveTimeoutMs,
                    "workload=softmax",
                    "strategy=ring",
                    "tokens=1500",
                    "heads=2",
                    "dk=32",
                    "dv=32",
                    "iters=100000"),
            TimeUnit.SECONDS.toNanos(120))) {
      final long startDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      int ready = 0;
      while (ready < ranks) {
        final RankProcessGroup.Line l = g.next(startDeadline);
        assertThat(l).as("ranks ready before the deadline").isNotNull();
        assertThat(l.text()).doesNotStartWith("FAILED");
        if (l.text().startsWith("READY ")) {
          ready++;
        }
      }
      final long killedAt = System.nanoTime();
      g.kill(1);
      final long failDeadline =
          killedAt
              + TimeUnit.MILLISECONDS.toNanos(collectiveTimeoutMs)
              + TimeUnit.SECONDS.toNanos(11);
      while (failures.size() < ranks - 1) {
        final RankProcessGroup.Line l = g.next(failDeadline);
        assertThat(l).as("survivors fail before the deadline; got %s", failures).isNotNull();
        if (l.text().startsWith("FAILED ")) {
          failures.add(l.rank() + ": " + l.text());
        }
      }
      final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      System.out.println(
          "softmax kill test: survivors failed " + elapsedMs + " ms after SIGKILL: " + failures);
      assertThat(failures)
          .allMatch(
              f ->
                  f.contains("ring attention")
                      && f.matches("(?s).*(lost (peer )?|from |for )rank=1\\b.*"),
              "names the op and blames rank 1 (not a survivor that left after failing)");
      final Integer[] codes = g.awaitExit(TimeUnit.SECONDS.toNanos(30));
      assertThat(codes[0]).isEqualTo(SpRankMain.EXIT_FAILED);
      assertThat(codes[2]).isEqualTo(SpRankMain.EXIT_FAILED);
    } finally {
      driver.close();
    }
  }
}
