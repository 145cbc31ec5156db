package io.seqpar.collectives.algo;

import io.seqpar.collectives.AbstractCollective;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.ScanAlgorithm;
import io.seqpar.collectives.ScanCollective;
import io.seqpar.collectives.ScanDirection;
import io.seqpar.collectives.ScanOperator;
import io.seqpar.collectives.ScanShape;
import io.seqpar.collectives.Zero;
import io.seqpar.tensor.LargePages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * ZeCO All-Scan (algorithms.md §2.6): the state is cut into K blocks of rows; block k flows down
 * the chain of ranks, each rank applying its own pair to the block and forwarding it, so blocks
 * pipeline and every rank but the first receives exactly one state (M bytes).
 *
 * <p>Step table, rank at visiting position v (v = p forward, P−1−p in reverse), blocks k = 0..K−1:
 *
 * <pre>
 *   v = 0      : send ΔS[R_k] to v+1 (all k at once, no compute);  out = 0 (ranks > cores: once
 *                all k are taken)
 *   0 < v < P−1: X_k = recv(v−1, k) into out[R_k];  Y_k = Γ[R_k] ⊙ X_k + ΔS[R_k];  send Y_k to v+1
 *   v = P−1    : X_k = recv(v−1, k) into out[R_k]
 * </pre>
 *
 * Block k crosses link (j → j+1) in slot j + k, so the last rank is done after P + K − 2 slots:
 * {@code T ≈ (P + K − 2)(α + βM/K)} (§2.8). Messages: K received (M bytes, 1 state) on v ≥ 1; K
 * sent (M bytes) on v ≤ P−2. Γ is never sent. The receive lands directly in {@code out}; the
 * forwarded block is built in a pre-allocated send buffer — or, when this rank's {@code out}, ΔS
 * and log Γ lie in shared windows ({@link Communicator#allocateShared}) and the next rank is on
 * this host, not built at all: the next rank combines Y_k straight out of them into its own {@code
 * out} ({@link Communicator#postCombineSend}), so a hop reads X and ΔS once and writes Y once.
 */
public final class AllScan extends AbstractCollective implements ScanCollective {
  /** Target bytes per block when K is chosen from the state size. */
  public static final int DEFAULT_BLOCK_BYTES = 128 * 1024;

  /** Upper bound of the default K. */
  public static final int MAX_DEFAULT_BLOCKS = 16;

  /** Target bytes per block when ranks outnumber cores. */
  public static final int OVERSUBSCRIBED_BLOCK_BYTES = 512 * 1024;

  /** Upper bound of the default K when ranks outnumber cores. */
  public static final int OVERSUBSCRIBED_MAX_BLOCKS = 8;

  private final ScanShape shape;
  private final int blocks;
  private final int[] rowFrom;
  private final int[] recvOps;
  private final int[] sendOps;
  private final MemorySegment sendBuffer;
  private MemorySegment logDecay;
  private MemorySegment state;
  private MemorySegment out;
  private int v;
  private int prev;
  private int next;
  private int nextBlock;
  private int sendsPosted;
  // The first rank's zero result, still to be written once its blocks are taken.
  private boolean zeroPending;

  /**
   * @param blocks K, in [1, rows]; ≤ 0 picks {@link #defaultBlocks(ScanShape, int, boolean)} for
   *     the communicator's size and {@link Communicator#oversubscribed()}
   */
  public AllScan(final Communicator comm, final ScanShape shape, final int blocks) {
    super(comm);
    this.shape = shape;
    final int k = blocks <= 0 ? defaultBlocks(shape, comm.ranks(), comm.oversubscribed()) : blocks;
    if (k > shape.rows()) {
      throw new IllegalArgumentException(
          "blocks must be in [1, rows=" + shape.rows() + "], got " + blocks);
    }
    this.blocks = k;
    this.rowFrom = new int[k + 1];
    for (int i = 0; i <= k; i++) {
      rowFrom[i] = (int) ((long) i * shape.rows() / k);
    }
    this.recvOps = new int[k];
    this.sendOps = new int[k];
    this.sendBuffer = LargePages.allocate(Arena.ofAuto(), shape.stateBytes(), 64);
  }

  /**
   * K from the state size: one block per {@link #DEFAULT_BLOCK_BYTES}, between 1 and {@link
   * #MAX_DEFAULT_BLOCKS} and at most the number of rows. (§2.6's optimum K* = sqrt((P−2)βM/α) grows
   * with M; with α ≈ 10 µs and β ≈ 1/(3 GB/s) blocks of ~128 KiB keep per-block latency and
   * bandwidth terms comparable.)
   */
  public static int defaultBlocks(final ScanShape shape) {
    return defaultBlocks(shape, false);
  }

  /**
   * K for a group of {@code ranks}: 1 when there is no rank in the middle of the chain (P ≤ 2:
   * nothing to pipeline, and each block costs a message; P = 2 at 4 MiB with single copy: K = 1
   * 0.32–0.38 ms, K = 16 0.47 ms), else {@link #defaultBlocks(ScanShape, boolean)}.
   */
  public static int defaultBlocks(
      final ScanShape shape, final int ranks, final boolean oversubscribed) {
    return ranks <= 2 ? 1 : defaultBlocks(shape, oversubscribed);
  }

  /**
   * K for ranks that may not all run at once. When ranks outnumber cores a block's hop costs a
   * scheduler wake-up rather than α, and only as many hops overlap as there are cores, so blocks of
   * {@link #OVERSUBSCRIBED_BLOCK_BYTES}, at most {@link #OVERSUBSCRIBED_MAX_BLOCKS}: 256 KiB one
   * block, 1 MiB two, 4 MiB eight. Measured on 2 cores, IPC, 100 timed iterations, medians of 3
   * rounds (docs/PERFORMANCE.md, "All-Scan pipelined again"): P = 8, 4 MiB: K = 1 6.5–7.2 ms, K = 2
   * 4.3–4.8, K = 4 4.2–4.5, K = 8 3.4–4.5; P = 8, 1 MiB: K = 1 1.06–1.24 ms, K = 2 0.56–0.95; at
   * 256 KiB and from K = 16 on, more blocks cost more than they overlap.
   */
  public static int defaultBlocks(final ScanShape shape, final boolean oversubscribed) {
    final int blockBytes = oversubscribed ? OVERSUBSCRIBED_BLOCK_BYTES : DEFAULT_BLOCK_BYTES;
    final int max = oversubscribed ? OVERSUBSCRIBED_MAX_BLOCKS : MAX_DEFAULT_BLOCKS;
    final int k = Math.max(1, Math.min(max, shape.stateBytes() / blockBytes));
    return Math.min(k, shape.rows());
  }

  public int blocks() {
    return blocks;
  }

  @Override
  public ScanAlgorithm algorithm() {
    return ScanAlgorithm.ALLSCAN;
  }

  @Override
  public ScanShape shape() {
    return shape;
  }

  @Override
  public void start(
      final ScanDirection direction,
      final MemorySegment logDecay,
      final MemorySegment state,
      final MemorySegment out) {
    final long seq = begin(direction == ScanDirection.FORWARD ? "allscan fwd" : "allscan bwd");
    this.logDecay = logDecay;
    this.state = state;
    this.out = out;
    v = direction.virtualRank(rank, ranks);
    prev = v > 0 ? direction.realRank(v - 1, ranks) : -1;
    next = v < ranks - 1 ? direction.realRank(v + 1, ranks) : -1;
    nextBlock = 0;
    sendsPosted = 0;
    zeroPending = false;
    if (v == 0) {
      nextBlock = blocks;
      if (next >= 0) {
        // The first rank's outgoing state is its own ΔS (X = 0): send it as is, block by block
        // (from shared windows the next rank copies it with loads and stores), and clear its
        // output while the next rank takes them.
        for (int k = 0; k < blocks; k++) {
          final int op =
              comm.postCombineSend(
                  seq, k, next, null, 0, null, state, offset(k), bytes(k), shape.dv());
          sendOps[k] = op >= 0 ? op : comm.postSend(seq, k, next, state, offset(k), bytes(k));
        }
        sendsPosted = blocks;
        comm.progress();
        if (comm.oversubscribed()) {
          // With ranks sharing cores, the woken next rank often waits for this core: filling now
          // held the whole chain back by the fill (traced: P = 8, 4 MiB, rank 1 began its copy
          // only when rank 0's 0.45 ms fill ended, in every call). Filled once the blocks are
          // taken, it runs beside the later hops instead.
          zeroPending = true;
        } else {
          Zero.fill(out, shape.stateBytes());
        }
      } else {
        Zero.fill(out, shape.stateBytes());
        completeLocally();
      }
      return;
    }
    for (int k = 0; k < blocks; k++) {
      recvOps[k] = comm.postRecv(seq, k, prev, out, offset(k), bytes(k));
    }
  }

  private long offset(final int k) {
    return shape.rowOffset(rowFrom[k]);
  }

  private int bytes(final int k) {
    return (int) (shape.rowOffset(rowFrom[k + 1]) - shape.rowOffset(rowFrom[k]));
  }

  @Override
  protected int doWork() {
    int work = 0;
    if (zeroPending && sendsComplete()) {
      Zero.fill(out, shape.stateBytes());
      zeroPending = false;
      work++;
    }
    while (nextBlock < blocks && comm.isComplete(recvOps[nextBlock])) {
      final int k = nextBlock++;
      if (next >= 0) {
        // Y_k = Γ[R_k] ⊙ X_k + ΔS[R_k]: (X, 0) ∘ (log Γ, ΔS) on rows R_k, rows of all heads flat.
        // Where the next rank can load from this rank's memory it computes Y_k itself, straight
        // into its result; else it is computed here and sent.
        int op =
            comm.postCombineSend(
                sequence(),
                k,
                next,
                logDecay,
                (long) rowFrom[k] * Float.BYTES,
                out,
                state,
                offset(k),
                bytes(k),
                shape.dv());
        if (op < 0) {
          ScanOperator.combine(
              null,
              out,
              logDecay,
              state,
              null,
              sendBuffer,
              1,
              shape.rows(),
              shape.dv(),
              rowFrom[k],
              rowFrom[k + 1]);
          op = comm.postSend(sequence(), k, next, sendBuffer, offset(k), bytes(k));
        }
        sendOps[k] = op;
        sendsPosted++;
      }
      if (nextBlock == blocks) {
        addStatesReceived(1);
      }
      work++;
    }
    return work;
  }

  @Override
  protected boolean isDone() {
    return nextBlock == blocks && !zeroPending && sendsComplete();
  }

  private boolean sendsComplete() {
    for (int k = 0; k < sendsPosted; k++) {
      if (!comm.isComplete(sendOps[k])) {
        return false;
      }
    }
    return true;
  }

  @Override
  protected void releaseOps() {
    if (v > 0) {
      for (int k = 0; k < blocks; k++) {
        comm.release(recvOps[k]);
      }
    }
    for (int k = 0; k < sendsPosted; k++) {
      comm.release(sendOps[k]);
    }
    sendsPosted = 0;
  }
}
