package io.seqpar.collectives;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.collectives.algo.AllGather;
import io.seqpar.collectives.algo.AllReduce;
import io.seqpar.collectives.algo.AllScan;
import io.seqpar.collectives.algo.RingExchange;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Steady state allocates nothing: after warm-up, a loop of All-Scan (fwd and bwd), ring exchange,
 * AllReduce (ring, direct, halving and shared) and direct AllGather on each rank's thread is
 * measured with the thread allocation counter. Halving needs a power-of-two P (at P = 3 it runs the
 * ring), so the rows with 4 ranks are the ones that measure it.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HotPathAllocationTest {
  private static final int WARMUP = 3000;
  private static final int MEASURED = 1000;

  /**
   * Slack for one-off JVM allocations on the thread (e.g. a deoptimisation); ≪ 1 byte/iteration·op.
   */
  private static final long SLACK_BYTES = 16 * 1024;

  /**
   * {@code singleCopyMinBytes} 1024: every message of 1 KiB and more (scan blocks, the ring, the
   * gather) goes as a descriptor the receiver copies from, so that path is measured too. With
   * {@code shared} the scan's buffers lie in shared windows, so its middle rank's hops go as
   * combine descriptors the next rank computes from.
   */
  @ParameterizedTest(name = "{0} P={1} singleCopyMinBytes={2} shared={3}")
  @CsvSource({
    "INMEM, 3, 2147483647, false",
    "IPC, 3, 2147483647, false",
    "IPC, 3, 1024, false",
    "IPC, 3, 1024, true",
    "INMEM, 4, 2147483647, false",
    "IPC, 4, 1024, false"
  })
  void steadyStateCollectivesDoNotAllocate(
      final RankGroup.Kind kind,
      final int ranks,
      final int singleCopyMinBytes,
      final boolean shared)
      throws Exception {
    final ScanShape shape = new ScanShape(2, 16, 32);
    try (RankGroup g = RankGroup.create(kind, ranks, TimeUnit.SECONDS.toNanos(60))) {
      final List<Long> allocated =
          g.run(
              (rank, unused) -> {
                final Communicator comm =
                    new Communicator(
                        g.transport(rank),
                        new CollectiveContext()
                            .jobId(RankGroup.TEST_JOB_ID)
                            .epoch(RankGroup.TEST_EPOCH)
                            .timeoutNs(TimeUnit.SECONDS.toNanos(60))
                            .singleCopyMinBytes(singleCopyMinBytes));
                final com.sun.management.ThreadMXBean mx =
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                final Arena arena = Arena.ofAuto();
                final MemorySegment scanBlock =
                    shared
                        ? comm.allocateShared(1024 + 2L * shape.stateBytes())
                        : arena.allocate(1024 + 2L * shape.stateBytes(), 64);
                final MemorySegment log = scanBlock.asSlice(0, shape.logBytes());
                final MemorySegment st = scanBlock.asSlice(1024, shape.stateBytes());
                final MemorySegment out =
                    scanBlock.asSlice(1024 + shape.stateBytes(), shape.stateBytes());
                final MemorySegment recv = arena.allocate(shape.stateBytes(), 64);
                final AllScan scan = new AllScan(comm, shape, 4);
                final RingExchange ring = new RingExchange(comm);
                final AllReduce allReduce = new AllReduce(comm, shape.stateBytes(), 1024);
                final AllReduce direct =
                    new AllReduce(comm, shape.stateBytes(), 1024, ExchangePattern.DIRECT);
                final AllReduce halving =
                    new AllReduce(comm, shape.stateBytes(), 1024, ExchangePattern.HALVING);
                final AllReduce sharedReduce =
                    new AllReduce(comm, shape.stateBytes(), 1024, ExchangePattern.SHARED);
                final AllGather gather = new AllGather(comm, ExchangePattern.DIRECT);
                final MemorySegment gathered =
                    arena.allocate((long) ranks * shape.stateBytes(), 64);
                long before = 0;
                for (int i = 0; i < WARMUP + MEASURED; i++) {
                  if (i == WARMUP) {
                    before = mx.getCurrentThreadAllocatedBytes();
                  }
                  scan.scan(ScanDirection.FORWARD, log, st, out);
                  scan.scan(ScanDirection.REVERSE, log, st, out);
                  ring.exchange(st, recv, shape.stateBytes());
                  allReduce.start(recv, shape.stateBytes() / 4);
                  allReduce.await();
                  direct.start(recv, shape.stateBytes() / 4);
                  direct.await();
                  halving.start(recv, shape.stateBytes() / 4);
                  halving.await();
                  sharedReduce.start(recv, shape.stateBytes() / 4);
                  sharedReduce.await();
                  gather.start(st, gathered, shape.stateBytes());
                  gather.await();
                }
                final long bytes = mx.getCurrentThreadAllocatedBytes() - before;
                if (kind == RankGroup.Kind.IPC
                    && sharedReduce.pattern() != ExchangePattern.SHARED) {
                  throw new AssertionError(
                      "shared staging not used over IPC: " + sharedReduce.pattern());
                }
                if (singleCopyMinBytes < Integer.MAX_VALUE
                    && SingleCopyTest.crossProcessReadsAllowed()
                    && comm.counter(CollectiveCounter.SINGLE_COPY_RECEIVED) < MEASURED) {
                  throw new AssertionError(
                      "single copy barely used: "
                          + comm.counter(CollectiveCounter.SINGLE_COPY_RECEIVED));
                }
                if (shared
                    && SingleCopyTest.crossProcessReadsAllowed()
                    && rank == 1
                    && comm.counter(CollectiveCounter.COMBINE_SENT) < MEASURED) {
                  throw new AssertionError(
                      "combine descriptors barely used: "
                          + comm.counter(CollectiveCounter.COMBINE_SENT));
                }
                comm.close();
                return bytes;
              },
              170);
      for (int r = 0; r < allocated.size(); r++) {
        assertTrue(
            allocated.get(r) <= SLACK_BYTES,
            kind
                + " rank "
                + r
                + " allocated "
                + allocated.get(r)
                + " bytes in "
                + MEASURED
                + " iterations (8 collectives each)");
      }
    }
  }
}
