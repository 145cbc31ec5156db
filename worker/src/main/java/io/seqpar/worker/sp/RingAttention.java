package io.seqpar.worker.sp;

import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.algo.RingExchange;
import io.seqpar.collectives.exceptions.CollectiveTimeoutException;
import io.seqpar.collectives.exceptions.PeerLostException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Ring attention (algorithms.md §3.2) on a contiguous or zigzag {@link SequenceLayout}. KV blocks
 * circulate r → r+1; at step i rank r holds rank j = r − i's block. Double-buffered: the exchange
 * for step i+1 is posted before the resident block is computed, and the kernel polls it between
 * tiles, so the transfer overlaps the compute.
 *
 * <pre>
 *   forward   i = 0..P−1:  [i < P−1] post send kv[cur] → r+1, recv kv[1−cur] ← r−1
 *                          (o, lse) ⊕= attend(Q_r, kv[cur] of j)
 *                          [i < P−1] await; swap
 *   backward  i = 0..P−1:  [i < P−1] post the KV exchange as above
 *                          dkvLocal = ∂/∂(K_j, V_j);  dq += ∂/∂Q_r           (compute, polling)
 *                          acc = [i > 0] await(acc of j from r−1) + dkvLocal  else dkvLocal
 *                          post send acc → r+1, recv next acc ← r−1           (travels with KV)
 *                          [i < P−1] await KV; swap
 *             then await the last hop: the accumulator of block r, now complete, lands home
 * </pre>
 *
 * Messages per pass: P−1 KV blocks forward; P−1 KV blocks plus P dKV blocks backward. With uneven
 * shards the blocks differ in size; every rank knows every size from the layout. With contiguous
 * shards rank r attends to r+1 blocks (one of them causal): efficiency ≈ (P+1)/2P; zigzag gives
 * every rank one causal diagonal plus P−1 half blocks.
 */
public final class RingAttention extends SoftmaxSpAttention {
  private final Arena arena = Arena.ofShared();
  private final RingExchange kvRing;
  private final RingExchange dkvRing;
  private final MemorySegment[] kv = new MemorySegment[2];
  private final MemorySegment[] dkv = new MemorySegment[2];
  private final MemorySegment dkvLocal;
  private final MemorySegment delta;
  private final Runnable pollBoth;
  private int step; // the ring step in progress, for failure messages

  RingAttention(
      final Communicator comm,
      final int rank,
      final SequenceLayout layout,
      final int heads,
      final int dk,
      final int dv,
      final float scale) {
    super(comm, rank, layout, heads, dk, dv, scale);
    final long blockBytes = maxBlockFloats() * Float.BYTES;
    kv[0] = arena.allocate(blockBytes, 64);
    kv[1] = arena.allocate(blockBytes, 64);
    dkv[0] = arena.allocate(blockBytes, 64);
    dkv[1] = arena.allocate(blockBytes, 64);
    dkvLocal = arena.allocate(blockBytes, 64);
    delta = arena.allocate(Math.max(1L, (long) heads * layout.maxLength()) * Float.BYTES, 64);
    kvRing = this.comm == null ? null : new RingExchange(this.comm);
    dkvRing = this.comm == null ? null : new RingExchange(this.comm);
    final RingExchange a = kvRing;
    final RingExchange b = dkvRing;
    pollBoth =
        a == null
            ? null
            : () -> {
              a.poll();
              b.poll();
            };
  }

  private int bytes(final int j) {
    return Math.toIntExact(blockFloats(Math.floorMod(j, ranks)) * Float.BYTES);
  }

  @Override
  public void forward(
      final MemorySegment o,
      final MemorySegment lse,
      final MemorySegment q,
      final MemorySegment k,
      final MemorySegment v) {
    try {
      ringForward(o, lse, q, k, v);
    } catch (final CollectiveTimeoutException e) {
      throw failure("forward", e);
    }
  }

  private void ringForward(
      final MemorySegment o,
      final MemorySegment lse,
      final MemorySegment q,
      final MemorySegment k,
      final MemorySegment v) {
    beginPass(forwardStats);
    final long t0 = System.nanoTime();
    initAccumulators(o, lse);
    pack(kv[0], 0, k, v);
    int cur = 0;
    for (int i = 0; i < ranks; i++) {
      step = i;
      final int j = Math.floorMod(rank - i, ranks);
      final boolean more = comm != null && i < ranks - 1;
      if (more) {
        kvRing.start(kv[cur], bytes(j), kv[1 - cur], bytes(j - 1));
        kernel.progress(pollBoth);
      }
      try {
        attend(o, lse, q, kv[cur], 0, j);
      } finally {
        kernel.progress(null);
      }
      if (more) {
        kvRing.await();
        account(forwardStats, kvRing);
        forwardStats.statesReceived++;
        cur = 1 - cur;
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
    try {
      ringBackward(dq, dk, dv, dO, q, k, v, o, lse);
    } catch (final CollectiveTimeoutException e) {
      throw failure("backward", e);
    }
  }

  private void ringBackward(
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
    pack(kv[0], 0, k, v);
    int cur = 0;
    int acc = 0;
    for (int i = 0; i < ranks; i++) {
      step = i;
      final int j = Math.floorMod(rank - i, ranks);
      final boolean more = comm != null && i < ranks - 1;
      if (more) {
        kvRing.start(kv[cur], bytes(j), kv[1 - cur], bytes(j - 1));
      }
      final MemorySegment local = comm == null ? dkv[0] : dkvLocal;
      local.asSlice(0, bytes(j)).fill((byte) 0);
      kernel.progress(pollBoth);
      try {
        attendBackward(dq, local, 0, dO, q, lse, delta, kv[cur], 0, j);
      } finally {
        kernel.progress(null);
      }
      if (comm != null) {
        if (i > 0) {
          dkvRing.await(); // block j's accumulator from r−1
          account(backwardStats, dkvRing);
          addInto(dkv[acc], 0, dkvLocal, 0, bytes(j) / Float.BYTES);
        } else {
          MemorySegment.copy(dkvLocal, 0, dkv[acc], 0, bytes(j));
        }
        dkvRing.start(dkv[acc], bytes(j), dkv[1 - acc], bytes(j - 1));
        acc = 1 - acc;
      }
      if (more) {
        kvRing.await();
        account(backwardStats, kvRing);
        backwardStats.statesReceived++;
        cur = 1 - cur;
      }
    }
    if (comm != null) {
      dkvRing.await(); // the last hop: this rank's own, complete dK|dV
      account(backwardStats, dkvRing);
    }
    unpack(dk, dv, dkv[acc], 0);
    endPass(backwardStats, t0);
  }

  /**
   * A ring breaks for every rank once one is gone, but a rank only sees its two neighbours: the
   * rank after a dead one fails first and the others then see that one leave. The communicator's
   * fault notices carry the dead rank's name to every survivor, so the cause is already in {@code
   * e}; this adds the pass and the ring step.
   */
  private CollectiveTimeoutException failure(
      final String pass, final CollectiveTimeoutException e) {
    final String msg =
        "ring attention "
            + pass
            + ": rank="
            + rank
            + " failed at step "
            + step
            + " of "
            + ranks
            + ": "
            + e.getMessage();
    return e instanceof PeerLostException
        ? new PeerLostException(msg, e)
        : new CollectiveTimeoutException(msg, e);
  }

  @Override
  public void close() {
    arena.close();
  }
}
