package io.seqpar.collectives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.seqpar.collectives.launch.RankProcessGroup;
import io.seqpar.collectives.transport.CoreBinding;
import io.seqpar.collectives.transport.EmbeddedDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real processes: two IPC ranks on a host with at least two cores each bind the thread that runs
 * their collectives to a CPU of their own (the first and second the process may use), then run
 * All-Scans to READY.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CoreBindingProcessTest {
  private static final int RANKS = 2;

  @Test
  void twoIpcRanksOnTwoCoresEachGetTheirOwnCpu() throws Exception {
    final List<Integer> allowed = CoreBinding.allowedCpus();
    assumeTrue(allowed.size() >= RANKS, "needs " + RANKS + " CPUs, has " + allowed);
    assumeTrue(CoreBinding.enabled(System.getenv(CoreBinding.ENV)), "SEQPAR_BIND=none in this run");
    final EmbeddedDriver driver = EmbeddedDriver.launchUnique("seqpar-bind");
    try (RankProcessGroup g =
        RankProcessGroup.start(
            RANKS,
            r -> {
              final List<String> a = new ArrayList<>();
              a.add("transport=ipc");
              a.add("rank=" + r);
              a.add("ranks=" + RANKS);
              a.add("job=78");
              a.add("epoch=1");
              a.add("timeoutMs=6000");
              a.add("workload=fault");
              a.add("op=allscan");
              a.add("rows=64");
              a.add("shared=false");
              a.add("termLength=" + (1 << 20));
              a.add("aeronDir=" + driver.aeronDirectoryName());
              return a;
            },
            TimeUnit.SECONDS.toNanos(120))) {
      final Map<Integer, Integer> boundTo = new TreeMap<>();
      final List<String> log = new ArrayList<>();
      int ready = 0;
      final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (ready < RANKS) {
        final RankProcessGroup.Line l = g.next(deadline);
        assertNotNull(l, "ranks not READY in time: " + log);
        log.add(l.rank() + ": " + l.text());
        assertTrue(
            !l.text().startsWith("FAILED") && !l.text().equals("EXIT"), "early failure: " + log);
        final String marker = "collectives thread bound to cpu ";
        final int at = l.text().indexOf(marker);
        if (at >= 0) {
          boundTo.put(l.rank(), Integer.parseInt(l.text().substring(at + marker.length())));
        }
        if (l.text().startsWith("READY")) {
          ready++;
        }
      }
      assertEquals(Map.of(0, allowed.get(0), 1, allowed.get(1)), boundTo, "log=" + log);
    } finally {
      driver.close();
    }
  }
}
