package io.seqpar.worker.sp;

import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.algo.AllGather;
import io.seqpar.collectives.algo.ReduceScatter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * AllGather-KV (LASP-2H, algorithms.md §3.4): K and V are gathered once, and local queries attend
 * to the causal prefix of the gathered sequence; backward reduce-scatters dK and dV to their
 * owners.
 *
 * <pre>
 *   forward   pack own KV into slot r; post AllGather of the P slots
 *             (o, lse) ⊕= attend(Q_r, slot r)        overlaps the gather (polled)
 *             await; (o, lse) ⊕= attend(Q_r, slot j) for every other j with visible keys
 *   backward  dkv[j] = ∂/∂(K_j, V_j), dq += ∂/∂Q_r for every j (from the cached gather)
 *             ReduceScatter(dkv): slot r summed over ranks → dk, dv        exposed
 * </pre>
 *
 * Slots are padded to the largest shard so both collectives move equal blocks; each rank sends and
 * receives (P−1) blocks per pass. The gathered KV ({@code P × max block}) is kept from forward to
 * backward, so memory grows with T (unlike ring) and each layer needs its own instance.
 */
public final class AllGatherKvAttention extends SoftmaxSpAttention {
  private final Arena arena = Arena.ofShared();
  private final AllGather gather;
  private final ReduceScatter reduceScatter;
  private final long slotBytes;
  private final MemorySegment gathered;
  private final MemorySegment dkvAll;
  private final MemorySegment delta;
  private final Runnable pollGather; // built once: a method reference per pass would allocate

  AllGatherKvAttention(
      final Communicator comm,
      final int rank,
      final SequenceLayout layout,
      final int heads,
      final int dk,
      final int dv,
      final float scale) {
    super(comm, rank, layout, heads, dk, dv, scale);
    slotBytes = maxBlockFloats() * Float.BYTES;
    gathered = arena.allocate(ranks * slotBytes, 64);
    dkvAll = arena.allocate(ranks * slotBytes, 64);
    delta = arena.allocate(Math.max(1L, (long) heads * layout.maxLength()) * Float.BYTES, 64);
    gather = this.comm == null ? null : new AllGather(this.comm);
    reduceScatter =
        this.comm == null ? null : new ReduceScatter(this.comm, (int) (slotBytes / Float.BYTES));
    final AllGather g = gather;
    pollGather = g == null ? null : g::poll;
  }

  @Override
  public void forward(
      final MemorySegment o,
      final MemorySegment lse,
      final MemorySegment q,
      final MemorySegment k,
      final MemorySegment v) {
    beginPass(forwardStats);
    final long t0 = System.nanoTime();
    initAccumulators(o, lse);
    pack(gathered, rank * slotBytes, k, v);
    if (comm != null) {
      gather.start(gathered.asSlice(rank * slotBytes, slotBytes), gathered, (int) slotBytes);
      kernel.progress(pollGather);
    }
    try {
      attend(o, lse, q, gathered, rank * slotBytes, rank);
    } finally {
      kernel.progress(null);
    }
    if (comm != null) {
      gather.await();
      account(forwardStats, gather);
      forwardStats.statesReceived = ranks - 1;
      for (int j = 0; j < ranks; j++) {
        if (j != rank) {
          attend(o, lse, q, gathered, j * slotBytes, j);
        }
      }
    }
    endPass(forwardStats, t0);
  }

  @Override
  public void backward(
      final MemorySegment dq,
      final MemorySegment dk,
      final MemorySegment dv,
      final MemorySegment dO,
      final MemorySegment q,
      final MemorySegment k,
      final MemorySegment v,
      final MemorySegment o,
      final MemorySegment lse) {
    beginPass(backwardStats);
    final long t0 = System.nanoTime();
    delta(delta, dO, o);
    dq.asSlice(0, (long) heads * length() * this.dk * Float.BYTES).fill((byte) 0);
    dkvAll.fill((byte) 0);
    for (int j = 0; j < ranks; j++) {
      attendBackward(dq, dkvAll, j * slotBytes, dO, q, lse, delta, gathered, j * slotBytes, j);
    }
    if (comm != null) {
      reduceScatter.start(dkvAll, (int) (slotBytes / Float.BYTES));
      reduceScatter.await();
      account(backwardStats, reduceScatter);
      backwardStats.statesReceived = ranks - 1;
    }
    unpack(dk, dv, dkvAll, rank * slotBytes);
    endPass(backwardStats, t0);
  }

  @Override
  public void close() {
    arena.close();
  }
}
