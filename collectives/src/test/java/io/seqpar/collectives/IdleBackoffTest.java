package io.seqpar.collectives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.collectives.algo.AllScan;
import io.seqpar.collectives.algo.Barrier;
import io.seqpar.collectives.transport.InMemoryTransport;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.Test;

/** Every wait starts its backoff afresh instead of resuming the previous wait's park phase. */
class IdleBackoffTest {
  /** Records the calls a communicator makes to its idle strategy, plus markers between calls. */
  private static final class RecordingIdle implements IdleStrategy {
    final List<Character> events = new ArrayList<>();

    @Override
    public void idle(final int workCount) {
      events.add(workCount > 0 ? 'R' : 'I');
    }

    @Override
    public void idle() {
      events.add('I');
      LockSupport.parkNanos(100_000); // keeps the record short
    }

    @Override
    public void reset() {
      events.add('R');
    }

    void mark() {
      events.add('|');
    }
  }

  @Test
  void eachCallResetsTheBackoffBeforeItsFirstIdle() throws Exception {
    final InMemoryTransport[] group = InMemoryTransport.group(2);
    final RecordingIdle idle = new RecordingIdle();
    // 64 KiB: sent as one single-copy descriptor. The first rank posts it and pushes it out in
    // start, so its first poll in await does no work (no reset there), and the call completes on
    // the poll that sees the acknowledgement (no reset there either) — the case where a stale
    // park phase carried into the next call.
    final ScanShape shape = new ScanShape(1, 64, 256);
    try (Arena arena = Arena.ofConfined();
        Communicator first =
            new Communicator(group[0], new CollectiveContext().idleStrategy(idle));
        Communicator second = new Communicator(group[1], new CollectiveContext())) {
      final int warm = 2; // until the receiver has probed the sender and single copy is on
      final int calls = 3;
      final CompletableFuture<Void> other =
          CompletableFuture.runAsync(
              () -> {
                try (Arena a = Arena.ofConfined()) {
                  final ScanCollective scan = new AllScan(second, shape, 0);
                  final MemorySegment log = a.allocate(shape.logBytes(), 64);
                  final MemorySegment state = a.allocate(shape.stateBytes(), 64);
                  final MemorySegment out = a.allocate(shape.stateBytes(), 64);
                  for (int i = 0; i < warm + calls; i++) {
                    if (i >= warm) {
                      sleepMs(20); // late on purpose, so the first rank idles in every call
                    }
                    scan.scan(ScanDirection.FORWARD, log, state, out);
                    if (i == warm - 1) {
                      new Barrier(second).run(); // it has probed the first rank by now
                    }
                  }
                }
              });
      final ScanCollective scan = new AllScan(first, shape, 0);
      final MemorySegment log = arena.allocate(shape.logBytes(), 64);
      final MemorySegment state = arena.allocate(shape.stateBytes(), 64);
      final MemorySegment out = arena.allocate(shape.stateBytes(), 64);
      for (int i = 0; i < warm; i++) {
        scan.scan(ScanDirection.FORWARD, log, state, out);
      }
      new Barrier(first).run();
      idle.events.clear();
      final long copiedBefore = first.counter(CollectiveCounter.SINGLE_COPY_SENT);
      for (int i = 0; i < calls; i++) {
        idle.mark();
        scan.scan(ScanDirection.FORWARD, log, state, out);
      }
      other.get(10, TimeUnit.SECONDS);
      assertEquals(calls, first.counter(CollectiveCounter.SINGLE_COPY_SENT) - copiedBefore);
    }
    final String events = idle.events.stream().map(String::valueOf).reduce("", String::concat);
    final String[] perCall = events.substring(1).split("\\|");
    assertEquals(3, perCall.length, events);
    for (final String call : perCall) {
      assertTrue(call.contains("I"), "the first rank should have idled in every call: " + events);
      assertTrue(
          call.indexOf('R') >= 0 && call.indexOf('R') < call.indexOf('I'),
          "a call idled before resetting its backoff: " + call);
    }
  }

  private static void sleepMs(final long ms) {
    try {
      Thread.sleep(ms);
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
