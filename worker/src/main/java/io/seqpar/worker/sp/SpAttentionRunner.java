package io.seqpar.worker.sp;

import io.seqpar.SeqparException;
import io.seqpar.collectives.CollectiveContext;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.ScanShape;
import io.seqpar.collectives.transport.InMemoryTransport;
import io.seqpar.worker.attention.AttentionInputs;
import io.seqpar.worker.attention.AttentionOutputs;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs the sequence-parallel operator over a whole {@code [B,H,T,d]} problem with P ranks as
 * threads of this JVM over the in-memory transport, and gathers the outputs as a single device
 * would have produced them. (Real processes over Aeron: {@code seqpar attention --transport ipc}.)
 */
public final class SpAttentionRunner {
  private static final int RING_BYTES = 64 * 1024;

  private SpAttentionRunner() {}

  /** Outputs plus each rank's accounting. */
  public record Result(
      AttentionOutputs outputs, SpCallStats[] forward, SpCallStats[] backward, SpStrategy strategy)
      implements AutoCloseable {
    @Override
    public void close() {
      outputs.close();
    }
  }

  /** Runs with P ranks as threads; {@code timeoutNs} bounds every collective wait. */
  public static Result runInMemory(
      final AttentionInputs in,
      final int chunk,
      final int ranks,
      final SpStrategy requested,
      final int blocks,
      final long timeoutNs) {
    final ScanShape shape = new ScanShape(in.batch() * in.heads(), in.dk(), in.dv());
    final SpStrategy strategy =
        SequenceParallelAttention.resolve(requested, ranks, shape, SpCostModel.DEFAULT);
    final AttentionOutputs out =
        new AttentionOutputs(in.mode(), in.batch(), in.heads(), in.tokens(), in.dk(), in.dv());
    final SpCallStats[] fwd = new SpCallStats[ranks];
    final SpCallStats[] bwd = new SpCallStats[ranks];
    // 64 KiB rings (8 KiB frames; states are fragmented): ranks² rings stay small at large P.
    final InMemoryTransport[] group = InMemoryTransport.group(ranks, RING_BYTES);
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final Thread[] threads = new Thread[ranks];
    for (int r = 0; r < ranks; r++) {
      final int rank = r;
      threads[r] =
          Thread.ofPlatform()
              .name("sp-rank-" + r)
              .unstarted(
                  () -> {
                    try {
                      runRank(
                          in,
                          chunk,
                          ranks,
                          rank,
                          strategy,
                          blocks,
                          timeoutNs,
                          group[rank],
                          out,
                          fwd,
                          bwd);
                    } catch (final Throwable t) {
                      failure.compareAndSet(null, t);
                    }
                  });
      threads[r].start();
    }
    final long deadline = System.nanoTime() + 4 * timeoutNs + TimeUnit.SECONDS.toNanos(60);
    try {
      for (final Thread t : threads) {
        final long left = deadline - System.nanoTime();
        if (left <= 0 || !t.join(java.time.Duration.ofNanos(left))) {
          throw new SeqparException(
              "sp attention: rank thread " + t.getName() + " did not finish before the deadline");
        }
      }
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SeqparException("sp attention: interrupted", e);
    } finally {
      for (final InMemoryTransport t : group) {
        t.close();
      }
    }
    if (failure.get() != null) {
      out.close();
      final Throwable t = failure.get();
      throw t instanceof RuntimeException re ? re : new SeqparException("sp attention failed", t);
    }
    return new Result(out, fwd, bwd, strategy);
  }

  private static void runRank(
      final AttentionInputs in,
      final int chunk,
      final int ranks,
      final int rank,
      final SpStrategy strategy,
      final int blocks,
      final long timeoutNs,
      final InMemoryTransport transport,
      final AttentionOutputs out,
      final SpCallStats[] fwd,
      final SpCallStats[] bwd) {
    final int start = ShardPlan.start(in.tokens(), ranks, rank);
    final int len = ShardPlan.length(in.tokens(), ranks, rank);
    final CollectiveContext ctx = new CollectiveContext().jobId(1).epoch(1).timeoutNs(timeoutNs);
    try (Communicator comm = new Communicator(transport, ctx);
        RankSlice slice = new RankSlice(in, start, len);
        SequenceParallelAttention op =
            new SequenceParallelAttention(
                in.mode(), chunk, slice.heads(), in.dk(), in.dv(), comm, strategy, blocks)) {
      slice.run(op);
      slice.scatterInto(out, in.tokens());
      if (rank == ranks - 1) {
        MemorySegment.copy(
            op.outgoingState(), 0, out.view("S_T").segment(), 0, op.outgoingState().byteSize());
      }
      fwd[rank] = op.forwardStats();
      bwd[rank] = op.backwardStats();
    }
  }
}
