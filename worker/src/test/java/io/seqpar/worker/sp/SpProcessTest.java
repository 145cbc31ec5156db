package io.seqpar.worker.sp;

import static io.seqpar.testing.TensorAssert.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import io.seqpar.collectives.launch.RankProcessGroup;
import io.seqpar.collectives.transport.EmbeddedDriver;
import io.seqpar.testing.OracleCase;
import io.seqpar.worker.attention.AttentionOutputs;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The SP operator with ranks as real processes over Aeron, exact and failing fast. */
class SpProcessTest {
  private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

  @ParameterizedTest(name = "{0} over {1}, P={2}")
  @CsvSource({"allscan,ipc,3", "allgather,ipc,3", "chain,ipc,3", "tree,ipc,3", "allscan,udp,2"})
  @Timeout(300)
  void processesOverAeronMatchTheOracle(
      final String strategy, final String transport, final int ranks) {
    final OracleCase c = OracleCase.load("gla_B2_H2_T257_dk16_dv16");
    try (AttentionOutputs out =
        SpProcessRunner.run(
            c.dir(), 16, ranks, SpStrategy.fromId(strategy), 0, transport, TIMEOUT_NS)) {
      for (final String t : out.names()) {
        assertClose(
            strategy + "/" + transport + " " + t,
            c.expected(t),
            out.view(t).toArray(),
            c.tolerance(t));
      }
    }
  }

  /** SIGKILL one rank mid-operator: every other rank fails within the deadline, naming it. */
  @Test
  @Timeout(300)
  void killingOneRankFailsEveryOtherRankNamingIt() {
    final int ranks = 3;
    final long collectiveTimeoutMs = 5_000;
    final EmbeddedDriver driver = EmbeddedDriver.launchUnique("seqpar-sp-kill");
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
                    "workload=synthetic",
                    "mode=gla",
                    "tokens=6000",
                    "heads=2",
                    "dk=16",
                    "dv=16",
                    "chunk=64",
                    "strategy=allscan",
                    "iters=100000"),
            TimeUnit.SECONDS.toNanos(120))) {
      final long startDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      int ready = 0;
      while (ready < ranks) {
        final RankProcessGroup.Line l = g.next(startDeadline);
        assertThat(l).as("ranks ready before the deadline").isNotNull();
        if (l.text().startsWith("READY ")) {
          ready++;
        }
        assertThat(l.text()).doesNotStartWith("FAILED");
      }
      final long killedAt = System.nanoTime();
      g.kill(1);
      final long failDeadline =
          killedAt
              + TimeUnit.MILLISECONDS.toNanos(collectiveTimeoutMs)
              + TimeUnit.SECONDS.toNanos(1)
              + TimeUnit.SECONDS.toNanos(10); // + JVM scheduling slack
      while (failures.size() < ranks - 1) {
        final RankProcessGroup.Line l = g.next(failDeadline);
        assertThat(l).as("survivors fail before the deadline; got %s", failures).isNotNull();
        if (l.text().startsWith("FAILED ")) {
          failures.add(l.rank() + ": " + l.text());
        }
      }
      final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      System.out.println(
          "kill test: survivors failed " + elapsedMs + " ms after SIGKILL: " + failures);
      assertThat(failures)
          .allMatch(
              f -> f.matches("(?s).*(lost (peer )?|from |for )rank=1\\b.*"),
              "each failure names the killed rank");
      assertThat(elapsedMs).as("failure latency ms").isLessThan(collectiveTimeoutMs + 11_000);
      final Integer[] codes = g.awaitExit(TimeUnit.SECONDS.toNanos(30));
      assertThat(codes[0]).isEqualTo(SpRankMain.EXIT_FAILED);
      assertThat(codes[2]).isEqualTo(SpRankMain.EXIT_FAILED);
    } finally {
      driver.close();
    }
  }
}
