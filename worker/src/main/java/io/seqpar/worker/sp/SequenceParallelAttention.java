package io.seqpar.worker.sp;

import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.ScanCollective;
import io.seqpar.collectives.ScanDirection;
import io.seqpar.collectives.ScanOperator;
import io.seqpar.collectives.ScanShape;
import io.seqpar.collectives.algo.AllScan;
import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.TensorArena;
import io.seqpar.worker.kernel.ChunkedLinearAttention;
import io.seqpar.worker.kernel.DecayMode;
import java.lang.foreign.MemorySegment;

/**
 * Causal linear attention over a sequence sharded contiguously across the ranks of a group: rank p
 * holds tokens {@code [start_p, end_p)} of every head (any length, zero included) and gets exactly
 * the outputs and gradients a single device would compute for them (algorithms.md §2).
 *
 * <p>Schedules, per pass:
 *
 * <pre>
 *   allscan / allgather / tree (overlapped, ZeCO §2.6 and §2.3):
 *     forward   1. local summaries (log Γ_p, ΔS_p)               no communication
 *               2. post the forward scan → S_in                   collective in flight
 *               3. zero-boundary chunked forward, polling the     overlap
 *                  collective after every chunk
 *               4. await S_in                                     exposed wait
 *               5. O += (Q ⊙ exp(G)) S_in;  S_out = Γ S_in + ΔS
 *     backward  1. ΔdS_p = Σ (q ⊙ exp(G))ᵀ dO                     no communication
 *               2. post the reverse scan → dS_out                 collective in flight
 *               3. chunked backward with the known S_in and a     overlap
 *                  zero outgoing gradient, polling
 *               4. await dS_out                                   exposed wait
 *               5. add the dS_out terms to dK, dV, dg
 *   chain (LASP-1 as in the paper, no overlap):
 *     forward   receive S_in from p−1; boundary-aware forward; send S_out to p+1
 *     backward  receive dS_out from p+1; boundary-aware backward; send dS_in to p−1
 * </pre>
 *
 * Forward caches S_in and S_out (one state each per head) for backward; call backward after forward
 * with the same inputs. Tensors are the rank's slices, {@code [heads, L, d]} with heads = B·H:
 * {@code q,k,g,dq,dk,dg [heads, L, dk]}, {@code v,o,dO,dv [heads, L, dv]}. Per-head ln λ in {@code
 * logLambda[heads]} (const_decay). One instance per rank and layer; not thread-safe.
 */
public final class SequenceParallelAttention implements AutoCloseable {
  private static final int CHAIN_TAG = 0x5350; // "SP"

  private final DecayMode mode;
  private final int heads;
  private final int dk;
  private final int dv;
  private final SpStrategy strategy;
  private final Communicator comm;
  private final ScanCollective scan;
  private final ChunkedLinearAttention kernel;
  private final TensorArena buffers;
  private final MemorySegment logDecay;
  private final MemorySegment deltaS;
  private final MemorySegment sIn;
  private final MemorySegment sOut;
  private final MemorySegment deltaDs;
  private final MemorySegment dsOut;
  private final Runnable pollScan;
  private final SpCallStats forwardStats = new SpCallStats();
  private final SpCallStats backwardStats = new SpCallStats();
  private boolean forwardDone;

  /**
   * @param comm the group's communicator, or null for a single rank
   * @param strategy resolved strategy (not AUTO; see {@link #resolve})
   * @param blocks All-Scan's K (≤ 0: the default for the state size)
   */
  public SequenceParallelAttention(
      final DecayMode mode,
      final int chunk,
      final int heads,
      final int dk,
      final int dv,
      final Communicator comm,
      final SpStrategy strategy,
      final int blocks) {
    if (strategy == SpStrategy.AUTO) {
      throw new IllegalArgumentException(
          "resolve AUTO with SequenceParallelAttention.resolve first");
    }
    this.mode = mode;
    this.heads = heads;
    this.dk = dk;
    this.dv = dv;
    this.strategy = strategy;
    this.comm = comm != null && comm.ranks() > 1 ? comm : null;
    final ScanShape shape = new ScanShape(heads, dk, dv);
    this.scan =
        this.comm == null || strategy == SpStrategy.CHAIN
            ? null
            : strategy.algorithm().create(this.comm, shape, blocks);
    this.kernel = new ChunkedLinearAttention(mode, chunk, dk, dv);
    this.buffers =
        TensorArena.builder("sp-attention rank " + rank())
            .add("logDecay", heads, dk)
            .add("deltaS", heads, dk, dv)
            .add("sIn", heads, dk, dv)
            .add("sOut", heads, dk, dv)
            .add("deltaDs", heads, dk, dv)
            .add("dsOut", heads, dk, dv)
            // Shared with the ranks of this host where the transport can: All-Scan's next rank
            // then combines its prefix straight out of these buffers (Communicator#allocateShared).
            .memory(
                this.scan instanceof AllScan && this.comm != null
                    ? this.comm::allocateShared
                    : null)
            .build();
    this.logDecay = buffers.view("logDecay").segment();
    this.deltaS = buffers.view("deltaS").segment();
    this.sIn = buffers.view("sIn").segment();
    this.sOut = buffers.view("sOut").segment();
    this.deltaDs = buffers.view("deltaDs").segment();
    this.dsOut = buffers.view("dsOut").segment();
    final ScanCollective s = scan;
    this.pollScan = s == null ? null : s::poll;
  }

  /** The strategy {@code requested} resolves to for this group and state size. */
  public static SpStrategy resolve(
      final SpStrategy requested, final int ranks, final ScanShape shape, final SpCostModel model) {
    return requested == SpStrategy.AUTO ? model.choose(ranks, shape) : requested;
  }

  public SpStrategy strategy() {
    return strategy;
  }

  public int rank() {
    return comm == null ? 0 : comm.rank();
  }

  public int ranks() {
    return comm == null ? 1 : comm.ranks();
  }

  /** Accounting of the last forward. */
  public SpCallStats forwardStats() {
    return forwardStats;
  }

  /** Accounting of the last backward. */
  public SpCallStats backwardStats() {
    return backwardStats;
  }

  /** The incoming state S_in of every head, {@code [heads, dk, dv]}, after forward. */
  public MemorySegment incomingState() {
    return sIn;
  }

  /** The state after this rank's last token, {@code [heads, dk, dv]}, after forward. */
  public MemorySegment outgoingState() {
    return sOut;
  }

  // ---------------------------------------------------------------------------------- forward

  /** Outputs of this rank's slice of {@code len} tokens (=). */
  public void forward(
      final FloatView o,
      final FloatView q,
      final FloatView k,
      final FloatView v,
      final FloatView g,
      final float[] logLambda,
      final int len) {
    forwardStats.reset();
    final long t0 = System.nanoTime();
    if (comm == null) {
      singleRankForward(o, q, k, v, g, logLambda, len);
    } else if (strategy == SpStrategy.CHAIN) {
      chainForward(o, q, k, v, g, logLambda, len);
    } else {
      for (int h = 0; h < heads; h++) {
        kernel.localLogDecay(row(logDecay, h, dk), head(g, h, len, dk), logLambda[h], len);
        kernel.localState(
            row(deltaS, h, dk * dv),
            head(k, h, len, dk),
            head(v, h, len, dv),
            head(g, h, len, dk),
            logLambda[h],
            len);
      }
      scan.start(ScanDirection.FORWARD, logDecay, deltaS, sIn);
      kernel.progress(pollScan);
      try {
        for (int h = 0; h < heads; h++) {
          kernel.forward(
              head(o, h, len, dv),
              null,
              head(q, h, len, dk),
              head(k, h, len, dk),
              head(v, h, len, dv),
              head(g, h, len, dk),
              logLambda[h],
              null,
              len);
        }
      } finally {
        kernel.progress(null);
      }
      scan.await();
      forwardStats.exposedNs = scan.stats().waitNs();
      account(forwardStats);
      for (int h = 0; h < heads; h++) {
        kernel.correctForward(
            head(o, h, len, dv),
            head(q, h, len, dk),
            head(g, h, len, dk),
            logLambda[h],
            row(sIn, h, dk * dv),
            len);
      }
      ScanOperator.combine(null, sIn, logDecay, deltaS, null, sOut, heads, dk, dv);
    }
    forwardDone = true;
    forwardStats.totalNs = System.nanoTime() - t0;
  }

  /**
   * One rank: no boundary to receive, so no summaries and no correction — the kernel once, from a
   * zero state, recording the final state for {@link #outgoingState()}.
   */
  private void singleRankForward(
      final FloatView o,
      final FloatView q,
      final FloatView k,
      final FloatView v,
      final FloatView g,
      final float[] logLambda,
      final int len) {
    sIn.fill((byte) 0);
    for (int h = 0; h < heads; h++) {
      kernel.forward(
          head(o, h, len, dv),
          row(sOut, h, dk * dv),
          head(q, h, len, dk),
          head(k, h, len, dk),
          head(v, h, len, dv),
          head(g, h, len, dk),
          logLambda[h],
          null,
          len);
    }
  }

  /** One rank: the kernel's backward with zero boundaries. */
  private void singleRankBackward(
      final FloatView dQ,
      final FloatView dK,
      final FloatView dV,
      final FloatView dG,
      final FloatView dO,
      final FloatView q,
      final FloatView k,
      final FloatView v,
      final FloatView g,
      final float[] logLambda,
      final int len) {
    for (int h = 0; h < heads; h++) {
      kernel.backward(
          head(dQ, h, len, dk),
          head(dK, h, len, dk),
          head(dV, h, len, dv),
          gla() ? head(dG, h, len, dk) : null,
          null,
          head(dO, h, len, dv),
          head(q, h, len, dk),
          head(k, h, len, dk),
          head(v, h, len, dv),
          head(g, h, len, dk),
          logLambda[h],
          null,
          null,
          len);
    }
  }

  private void chainForward(
      final FloatView o,
      final FloatView q,
      final FloatView k,
      final FloatView v,
      final FloatView g,
      final float[] logLambda,
      final int len) {
    final long seq = comm.nextSequence();
    final int r = comm.rank();
    if (r > 0) {
      forwardStats.exposedNs = receive(seq, r - 1, sIn, "chain fwd");
      forwardStats.bytesReceived = sIn.byteSize();
      forwardStats.statesReceived = 1;
    } else {
      sIn.fill((byte) 0);
    }
    for (int h = 0; h < heads; h++) {
      kernel.forward(
          head(o, h, len, dv),
          row(sOut, h, dk * dv),
          head(q, h, len, dk),
          head(k, h, len, dk),
          head(v, h, len, dv),
          head(g, h, len, dk),
          logLambda[h],
          row(sIn, h, dk * dv),
          len);
    }
    if (r < comm.ranks() - 1) {
      send(seq, r + 1, sOut, "chain fwd");
      forwardStats.bytesSent = sOut.byteSize();
    }
  }

  // --------------------------------------------------------------------------------- backward

  /** Gradients of this rank's slice (=); call after {@link #forward} on the same inputs. */
  public void backward(
      final FloatView dQ,
      final FloatView dK,
      final FloatView dV,
      final FloatView dG,
      final FloatView dO,
      final FloatView q,
      final FloatView k,
      final FloatView v,
      final FloatView g,
      final float[] logLambda,
      final int len) {
    if (!forwardDone) {
      throw new IllegalStateException("backward before forward on rank " + rank());
    }
    backwardStats.reset();
    final long t0 = System.nanoTime();
    if (comm == null) {
      singleRankBackward(dQ, dK, dV, dG, dO, q, k, v, g, logLambda, len);
    } else if (strategy == SpStrategy.CHAIN) {
      chainBackward(dQ, dK, dV, dG, dO, q, k, v, g, logLambda, len);
    } else {
      for (int h = 0; h < heads; h++) {
        kernel.localStateGradient(
            row(deltaDs, h, dk * dv),
            head(dO, h, len, dv),
            head(q, h, len, dk),
            head(g, h, len, dk),
            logLambda[h],
            len);
      }
      scan.start(ScanDirection.REVERSE, logDecay, deltaDs, dsOut);
      kernel.progress(pollScan);
      try {
        for (int h = 0; h < heads; h++) {
          kernel.backward(
              head(dQ, h, len, dk),
              head(dK, h, len, dk),
              head(dV, h, len, dv),
              gla() ? head(dG, h, len, dk) : null,
              null,
              head(dO, h, len, dv),
              head(q, h, len, dk),
              head(k, h, len, dk),
              head(v, h, len, dv),
              head(g, h, len, dk),
              logLambda[h],
              row(sIn, h, dk * dv),
              null,
              len);
        }
      } finally {
        kernel.progress(null);
      }
      scan.await();
      backwardStats.exposedNs = scan.stats().waitNs();
      account(backwardStats);
      for (int h = 0; h < heads; h++) {
        kernel.correctBackward(
            head(dQ, h, len, dk),
            head(dK, h, len, dk),
            head(dV, h, len, dv),
            gla() ? head(dG, h, len, dk) : null,
            head(dO, h, len, dv),
            head(q, h, len, dk),
            head(k, h, len, dk),
            head(v, h, len, dv),
            head(g, h, len, dk),
            logLambda[h],
            null,
            row(dsOut, h, dk * dv),
            row(sOut, h, dk * dv),
            len);
      }
    }
    backwardStats.totalNs = System.nanoTime() - t0;
  }

  private void chainBackward(
      final FloatView dQ,
      final FloatView dK,
      final FloatView dV,
      final FloatView dG,
      final FloatView dO,
      final FloatView q,
      final FloatView k,
      final FloatView v,
      final FloatView g,
      final float[] logLambda,
      final int len) {
    final long seq = comm.nextSequence();
    final int r = comm.rank();
    if (r < comm.ranks() - 1) {
      backwardStats.exposedNs = receive(seq, r + 1, dsOut, "chain bwd");
      backwardStats.bytesReceived = dsOut.byteSize();
      backwardStats.statesReceived = 1;
    } else {
      dsOut.fill((byte) 0);
    }
    for (int h = 0; h < heads; h++) {
      kernel.backward(
          head(dQ, h, len, dk),
          head(dK, h, len, dk),
          head(dV, h, len, dv),
          gla() ? head(dG, h, len, dk) : null,
          row(deltaDs, h, dk * dv),
          head(dO, h, len, dv),
          head(q, h, len, dk),
          head(k, h, len, dk),
          head(v, h, len, dv),
          head(g, h, len, dk),
          logLambda[h],
          row(sIn, h, dk * dv),
          row(dsOut, h, dk * dv),
          len);
    }
    if (r > 0) {
      send(seq, r - 1, deltaDs, "chain bwd"); // deltaDs holds dS_in here
      backwardStats.bytesSent = deltaDs.byteSize();
    }
  }

  // ------------------------------------------------------------------------------ helpers

  private boolean gla() {
    return mode == DecayMode.GLA;
  }

  private void account(final SpCallStats s) {
    s.bytesSent = scan.stats().bytesSent();
    s.bytesReceived = scan.stats().bytesReceived();
    s.statesReceived = scan.stats().statesReceived();
  }

  /** Blocks until a whole state arrives from {@code src}; returns the nanoseconds waited. */
  private long receive(final long seq, final int src, final MemorySegment dst, final String op) {
    final long start = System.nanoTime();
    final long deadline = start + comm.timeoutNs();
    final int h = comm.postRecv(seq, CHAIN_TAG, src, dst, 0, (int) dst.byteSize());
    comm.beginWait();
    try {
      while (!comm.isComplete(h)) {
        comm.idleOrFail(comm.progress(), op, seq, start, deadline);
      }
    } finally {
      comm.release(h);
    }
    return System.nanoTime() - start;
  }

  /** Blocks until the transport has accepted a whole state for {@code dst}. */
  private void send(final long seq, final int dst, final MemorySegment src, final String op) {
    final long start = System.nanoTime();
    final long deadline = start + comm.timeoutNs();
    final int h = comm.postSend(seq, CHAIN_TAG, dst, src, 0, (int) src.byteSize());
    comm.beginWait();
    try {
      while (!comm.isComplete(h)) {
        comm.idleOrFail(comm.progress(), op, seq, start, deadline);
      }
    } finally {
      comm.release(h);
    }
  }

  /** Head {@code h}'s rows of a {@code [heads, len, width]} view (null view → null). */
  private static MemorySegment head(
      final FloatView view, final int h, final int len, final int width) {
    if (view == null) {
      return null;
    }
    final long bytes = (long) len * width * Float.BYTES;
    return view.segment().asSlice(h * bytes, bytes);
  }

  private static MemorySegment row(final MemorySegment all, final int h, final int width) {
    final long bytes = (long) width * Float.BYTES;
    return all.asSlice(h * bytes, bytes);
  }

  @Override
  public void close() {
    buffers.close();
  }
}
