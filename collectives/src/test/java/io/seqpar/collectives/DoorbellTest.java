package io.seqpar.collectives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.collectives.algo.AllGather;
import io.seqpar.collectives.algo.AllReduce;
import io.seqpar.collectives.algo.AllScan;
import io.seqpar.collectives.transport.Doorbell;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The futex doorbell on its own, and collectives over IPC that sleep on it (ranks > cores). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DoorbellTest {

  @Test
  void ringWakesASleeperLongBeforeItsTimeoutAndAnUnrungWaitTimesOut(@TempDir final Path dir)
      throws Exception {
    try (Doorbell sleeper = Doorbell.open(dir, "bell", 2).orElseThrow();
        Doorbell ringer = Doorbell.open(dir, "bell", 2).orElseThrow()) {
      final int seen = sleeper.prepare(1);
      final long t0 = System.nanoTime();
      final CompletableFuture<Void> ring =
          CompletableFuture.runAsync(
              () -> {
                try {
                  // A deliberate delay, not a wait for a condition: ring once the sleeper is
                  // (very likely) inside futex, so the wake-up path is what gets tested.
                  Thread.sleep(50);
                } catch (final InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                ringer.ring(1);
              });
      sleeper.await(1, seen, TimeUnit.SECONDS.toNanos(20));
      final long wokeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      sleeper.done(1);
      ring.get(10, TimeUnit.SECONDS);
      assertTrue(wokeMs < 10_000, "woke after " + wokeMs + " ms; a ring must end the wait");

      // Not rung: the wait ends at its timeout, not before and not never.
      final int again = sleeper.prepare(1);
      final long t1 = System.nanoTime();
      sleeper.await(1, again, TimeUnit.MILLISECONDS.toNanos(30));
      sleeper.done(1);
      final long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1);
      assertTrue(waitedMs >= 20 && waitedMs < 10_000, "waited " + waitedMs + " ms");

      // Ringing a rank that is awake is a no-op: its next prepare sees the same value.
      final int before = sleeper.prepare(0);
      sleeper.done(0);
      ringer.ring(0);
      assertEquals(before, sleeper.prepare(0), "a ring without a sleeper must not count");
      sleeper.done(0);
    }
  }

  @Test
  void oversubscribedIpcRanksSleepOnTheDoorbellAndGetExactResults() throws Exception {
    final int p = 3;
    final ScanShape shape = new ScanShape(1, 64, 64);
    try (RankGroup g = RankGroup.create(RankGroup.Kind.IPC, p, TimeUnit.SECONDS.toNanos(30))) {
      final List<long[]> got =
          g.run(
              (rank, unused) -> {
                // localRanks above the core count: the oversubscribed path, doorbell included.
                try (Communicator comm = g.oversubscribedComm(rank)) {
                  final Arena arena = Arena.ofAuto();
                  final MemorySegment log = arena.allocate(shape.logBytes(), 64);
                  final MemorySegment state = arena.allocate(shape.stateBytes(), 64);
                  final MemorySegment out = arena.allocate(shape.stateBytes(), 64);
                  final int n = shape.stateBytes() / 4;
                  for (int i = 0; i < n; i++) {
                    state.setAtIndex(ValueLayout.JAVA_FLOAT, i, rank + 1);
                  }
                  final MemorySegment gathered = arena.allocate((long) p * 4, 64);
                  final MemorySegment mine = arena.allocate(4, 64);
                  final MemorySegment sum = arena.allocate(shape.stateBytes(), 64);
                  final AllScan scan = new AllScan(comm, shape, 0);
                  final AllGather gather = new AllGather(comm);
                  final AllReduce reduce = new AllReduce(comm, shape.stateBytes());
                  long bad = 0;
                  for (int it = 0; it < 300; it++) {
                    scan.scan(ScanDirection.FORWARD, log, state, out);
                    // log Γ = 0: out = sum of the states of ranks before this one.
                    bad +=
                        out.getAtIndex(ValueLayout.JAVA_FLOAT, 7) == rank * (rank + 1) / 2f ? 0 : 1;
                    mine.set(ValueLayout.JAVA_INT, 0, rank * 10 + it);
                    gather.start(mine, gathered, 4);
                    gather.await();
                    for (int q = 0; q < p; q++) {
                      bad += gathered.getAtIndex(ValueLayout.JAVA_INT, q) == q * 10 + it ? 0 : 1;
                    }
                    MemorySegment.copy(state, 0, sum, 0, shape.stateBytes());
                    reduce.start(sum, n);
                    reduce.await();
                    bad += sum.getAtIndex(ValueLayout.JAVA_FLOAT, n - 1) == 6f ? 0 : 1;
                  }
                  return new long[] {bad, comm.counter(CollectiveCounter.DOORBELL_SLEEPS)};
                }
              });
      long sleeps = 0;
      for (int r = 0; r < p; r++) {
        assertEquals(0, got.get(r)[0], "wrong results, rank " + r);
        sleeps += got.get(r)[1];
      }
      assertTrue(sleeps > 0, "no rank ever slept on the doorbell in 900 collectives");
    }
  }
}
