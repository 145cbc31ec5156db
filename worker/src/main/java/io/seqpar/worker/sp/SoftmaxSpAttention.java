package io.seqpar.worker.sp;

import io.seqpar.collectives.AbstractCollective;
import io.seqpar.collectives.CollectiveCounter;
import io.seqpar.collectives.Communicator;
import io.seqpar.worker.kernel.BlockwiseSoftmax;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Causal softmax attention over a sequence spread across the ranks of a group by a {@link
 * SequenceLayout}: rank r holds rows {@code [heads, L_r, d]} of every tensor, and gets exactly the
 * outputs and gradients of dense causal attention for them (algorithms.md §3). Subclasses choose
 * how the other ranks' K and V reach this rank: {@link RingAttention} or {@link
 * AllGatherKvAttention}.
 *
 * <p>A KV block is rank j's K then V, packed as {@code k [heads, L_j, dk] | v [heads, L_j, dv]}
 * (two bulk copies of the rank's own tensors); dK/dV blocks use the same packing. Loss convention:
 * backward differentiates {@code Σ dO ⊙ o}. Forward returns {@code lse [heads, L]}, which backward
 * takes back (with {@code o}) so one instance can serve several layers in sequence; implementations
 * that cache more (AllGather-KV keeps the gathered KV) need one instance per layer. Not
 * thread-safe.
 */
public abstract class SoftmaxSpAttention implements AutoCloseable {
  static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  protected final Communicator comm; // null for one rank
  protected final int rank;
  protected final int ranks;
  protected final SequenceLayout layout;
  protected final int heads;
  protected final int dk;
  protected final int dv;
  protected final float scale;
  protected final BlockwiseSoftmax kernel;
  protected final SpCallStats forwardStats = new SpCallStats();
  protected final SpCallStats backwardStats = new SpCallStats();

  protected SoftmaxSpAttention(
      final Communicator comm,
      final int rank,
      final SequenceLayout layout,
      final int heads,
      final int dk,
      final int dv,
      final float scale) {
    this.comm = comm != null && comm.ranks() > 1 ? comm : null;
    this.rank = rank;
    this.ranks = layout.ranks();
    if (comm != null && comm.ranks() != ranks) {
      throw new IllegalArgumentException(
          "layout has " + ranks + " ranks, communicator " + comm.ranks());
    }
    this.layout = layout;
    this.heads = heads;
    this.dk = dk;
    this.dv = dv;
    this.scale = scale;
    this.kernel = new BlockwiseSoftmax(dk, dv);
  }

  /** Builds the operator of {@code strategy} for {@code rank} (comm may be null when P = 1). */
  public static SoftmaxSpAttention create(
      final SoftmaxStrategy strategy,
      final Communicator comm,
      final int rank,
      final SequenceLayout layout,
      final int heads,
      final int dk,
      final int dv,
      final float scale) {
    if (layout.kind() != strategy.layout()) {
      throw new IllegalArgumentException(
          strategy.id()
              + " computes on the "
              + strategy.layout()
              + " layout, got "
              + layout.kind());
    }
    return switch (strategy) {
      case RING, RING_ZIGZAG -> new RingAttention(comm, rank, layout, heads, dk, dv, scale);
      case ALLGATHER_KV -> new AllGatherKvAttention(comm, rank, layout, heads, dk, dv, scale);
    };
  }

  public SequenceLayout layout() {
    return layout;
  }

  /** Rows this rank holds. */
  public int length() {
    return layout.length(rank);
  }

  /** Accounting of the last forward. */
  public SpCallStats forwardStats() {
    return forwardStats;
  }

  /** Accounting of the last backward. */
  public SpCallStats backwardStats() {
    return backwardStats;
  }

  /**
   * @param o {@code [heads, L, dv]} (=)
   * @param lse {@code [heads, L]} (=) log-sum-exp of each row's scores (−∞ when none is visible)
   * @param q {@code [heads, L, dk]}
   * @param k {@code [heads, L, dk]}
   * @param v {@code [heads, L, dv]}
   */
  public abstract void forward(
      MemorySegment o, MemorySegment lse, MemorySegment q, MemorySegment k, MemorySegment v);

  /**
   * Gradients of {@code Σ dO ⊙ o} (=), after {@link #forward} with the same inputs.
   *
   * <p>{@code o} and {@code lse} are what forward returned for the same rows.
   */
  public abstract void backward(
      MemorySegment dq,
      MemorySegment dk,
      MemorySegment dv,
      MemorySegment dO,
      MemorySegment q,
      MemorySegment k,
      MemorySegment v,
      MemorySegment o,
      MemorySegment lse);

  /** Frees the operator's buffers. */
  @Override
  public abstract void close();

  // ------------------------------------------------------------------------ shared pieces

  /** Floats of rank j's packed KV (or dKV) block. */
  protected final long blockFloats(final int j) {
    return (long) heads * layout.length(j) * (dk + dv);
  }

  /** Floats of the largest block. */
  protected final long maxBlockFloats() {
    return Math.max(1L, (long) heads * layout.maxLength() * (dk + dv));
  }

  /** Packs this rank's k, v into {@code dst} at {@code off} bytes. */
  protected final void pack(
      final MemorySegment dst, final long off, final MemorySegment k, final MemorySegment v) {
    final long kBytes = (long) heads * length() * dk * Float.BYTES;
    final long vBytes = (long) heads * length() * dv * Float.BYTES;
    MemorySegment.copy(k, 0, dst, off, kBytes);
    MemorySegment.copy(v, 0, dst, off + kBytes, vBytes);
  }

  /** Unpacks a dK|dV block of this rank at {@code off} bytes into dk, dv (=). */
  protected final void unpack(
      final MemorySegment dkOut,
      final MemorySegment dvOut,
      final MemorySegment src,
      final long off) {
    final long kBytes = (long) heads * length() * dk * Float.BYTES;
    final long vBytes = (long) heads * length() * dv * Float.BYTES;
    MemorySegment.copy(src, off, dkOut, 0, kBytes);
    MemorySegment.copy(src, off + kBytes, dvOut, 0, vBytes);
  }

  /** o = 0, lse = −∞ over this rank's rows. */
  protected final void initAccumulators(final MemorySegment o, final MemorySegment lse) {
    final int len = length();
    BlockwiseSoftmax.initAccumulators(o, 0, lse, 0, heads * len, dv);
  }

  /** delta = rowsum(dO ⊙ o) over this rank's rows. */
  protected final void delta(
      final MemorySegment delta, final MemorySegment dO, final MemorySegment o) {
    BlockwiseSoftmax.delta(delta, 0, dO, 0, o, 0, heads * length(), dv);
  }

  /**
   * Merges this rank's queries against rank j's KV block (at {@code off} bytes of {@code kv}) into
   * (o, lse); piece pairs with no visible key cost nothing.
   */
  protected final void attend(
      final MemorySegment o,
      final MemorySegment lse,
      final MemorySegment q,
      final MemorySegment kv,
      final long off,
      final int j) {
    final long c0 = cpuNs();
    final int len = length();
    final int lj = layout.length(j);
    final long kBase = off / Float.BYTES;
    final long vBase = kBase + (long) heads * lj * dk;
    for (int h = 0; h < heads; h++) {
      for (int qs = 0; qs < 2; qs++) {
        final int qp = layout.piece(rank, qs);
        final int m = layout.pieceLength(qp);
        final long qRow = (long) h * len + layout.localOffset(qp);
        for (int ks = 0; ks < 2; ks++) {
          final int kp = layout.piece(j, ks);
          final long kRow = (long) h * lj + layout.localOffset(kp);
          kernel.forward(
              o,
              qRow * dv,
              lse,
              qRow,
              q,
              qRow * dk,
              m,
              layout.pieceStart(qp),
              kv,
              kBase + kRow * dk,
              kv,
              vBase + kRow * dv,
              layout.pieceLength(kp),
              layout.pieceStart(kp),
              scale);
        }
      }
    }
    forwardStats.computeCpuNs += cpuNs() - c0;
  }

  /**
   * Backward against rank j's KV block: dq (+=) for this rank's rows, and dK|dV of block j (+=)
   * into {@code dkv} at {@code dkvOff} bytes, packed like the KV block.
   */
  protected final void attendBackward(
      final MemorySegment dq,
      final MemorySegment dkv,
      final long dkvOff,
      final MemorySegment dO,
      final MemorySegment q,
      final MemorySegment lse,
      final MemorySegment delta,
      final MemorySegment kv,
      final long off,
      final int j) {
    final int len = length();
    final int lj = layout.length(j);
    final long kBase = off / Float.BYTES;
    final long vBase = kBase + (long) heads * lj * dk;
    final long c0 = cpuNs();
    final long dkBase = dkvOff / Float.BYTES;
    final long dvBase = dkBase + (long) heads * lj * dk;
    for (int h = 0; h < heads; h++) {
      for (int qs = 0; qs < 2; qs++) {
        final int qp = layout.piece(rank, qs);
        final int m = layout.pieceLength(qp);
        final long qRow = (long) h * len + layout.localOffset(qp);
        for (int ks = 0; ks < 2; ks++) {
          final int kp = layout.piece(j, ks);
          final long kRow = (long) h * lj + layout.localOffset(kp);
          kernel.backward(
              dq,
              qRow * dk,
              dkv,
              dkBase + kRow * dk,
              dkv,
              dvBase + kRow * dv,
              dO,
              qRow * dv,
              lse,
              qRow,
              delta,
              qRow,
              q,
              qRow * dk,
              m,
              layout.pieceStart(qp),
              kv,
              kBase + kRow * dk,
              kv,
              vBase + kRow * dv,
              layout.pieceLength(kp),
              layout.pieceStart(kp),
              scale);
        }
      }
    }
    backwardStats.computeCpuNs += cpuNs() - c0;
  }

  /** This thread's CPU time (ns), to account the compute sections of a pass. */
  protected static long cpuNs() {
    return THREADS.getCurrentThreadCpuTime();
  }

  /** Adds a finished collective's wait (after the local work was done) to {@code s}. */
  protected static void account(final SpCallStats s, final AbstractCollective c) {
    s.exposedNs += c.stats().waitNs();
  }

  /**
   * Starts a pass's accounting. Bytes come from the communicator's counters over the whole pass,
   * not from the collectives: two ring exchanges overlap in backward, and each one's own window
   * would also count the other's traffic.
   */
  protected final void beginPass(final SpCallStats s) {
    s.reset();
    if (comm != null) {
      s.bytesSent = -comm.counter(CollectiveCounter.BYTES_SENT);
      s.bytesReceived = -comm.counter(CollectiveCounter.BYTES_RECEIVED);
    }
  }

  /** Ends a pass's accounting. */
  protected final void endPass(final SpCallStats s, final long t0) {
    if (comm != null) {
      s.bytesSent += comm.counter(CollectiveCounter.BYTES_SENT);
      s.bytesReceived += comm.counter(CollectiveCounter.BYTES_RECEIVED);
    }
    s.totalNs = System.nanoTime() - t0;
  }

  /** dst[0, n) += src[0, n) (floats, at byte offsets). */
  protected static void addInto(
      final MemorySegment dst,
      final long dstOff,
      final MemorySegment src,
      final long srcOff,
      final long n) {
    final long d0 = dstOff / Float.BYTES;
    final long s0 = srcOff / Float.BYTES;
    for (long i = 0; i < n; i++) {
      dst.setAtIndex(F, d0 + i, dst.getAtIndex(F, d0 + i) + src.getAtIndex(F, s0 + i));
    }
  }
}
