package io.seqpar.worker.sp;

import io.seqpar.collectives.Communicator;
import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.TensorArena;
import io.seqpar.worker.model.AttentionOp;
import io.seqpar.worker.model.ModelConfig;
import io.seqpar.worker.model.Rope;
import java.lang.foreign.MemorySegment;

/**
 * The softmax layers of a hybrid model over a sequence sharded contiguously across the ranks of
 * {@code comm} (the shards the linear layers need). Per softmax layer:
 *
 * <pre>
 *   forward   q' = RoPE(q), k' = RoPE(k) on global positions     (q is already scaled by dk^-1/2)
 *             [zigzag] relayout q'|k'|v contiguous → zigzag        one message per moved piece
 *             o, lse = SoftmaxSp(q', k', v)                          ring / ring-zigzag / allgather-kv
 *             [zigzag] relayout o zigzag → contiguous
 *   backward  [zigzag] relayout dO → zigzag; gradients; relayout dq'|dk'|dv back
 *             dq = RoPEᵀ(dq'), dk = RoPEᵀ(dk')
 * </pre>
 *
 * So zigzag balance is bought with two piece permutations per pass ({@link PieceRelayout}, §3.3
 * option b) and the linear layers keep contiguous shards. The score scale is 1 here because the
 * block has already scaled q. Caches per layer what backward needs (rotated q, k, the operator's o
 * and lse, and the zigzag copies); every rank must build it with the same arguments.
 */
public final class SpSoftmaxAttentionOp implements AttentionOp, AutoCloseable {
  private final SoftmaxStrategy strategy;
  private final int heads;
  private final int dk;
  private final int dv;
  private final SoftmaxSpAttention[] ops; // by layer; null for linear layers
  private final TensorArena[] caches; // by layer
  private final TensorArena scratch;
  private final PieceRelayout toZigzag;
  private final PieceRelayout toContiguous;
  private final Rope rope;
  private final boolean zigzag;
  private final int[] qkvWidths;
  private final int[] oWidths;

  /**
   * @param tokens global tokens per sequence T (this rank holds its {@link ShardPlan} slice)
   * @param comm the group's communicator, or null for one rank
   */
  public SpSoftmaxAttentionOp(
      final ModelConfig cfg,
      final int batch,
      final int tokens,
      final Communicator comm,
      final SoftmaxStrategy strategy) {
    this.strategy = strategy;
    this.heads = batch * cfg.heads();
    this.dk = cfg.dk();
    this.dv = cfg.dv();
    final int ranks = comm == null ? 1 : comm.ranks();
    final int rank = comm == null ? 0 : comm.rank();
    final SequenceLayout contiguous =
        new SequenceLayout(SequenceLayout.Kind.CONTIGUOUS, tokens, ranks);
    final SequenceLayout layout = new SequenceLayout(strategy.layout(), tokens, ranks);
    this.zigzag = layout.kind() == SequenceLayout.Kind.ZIGZAG;
    this.qkvWidths = new int[] {dk, dk, dv};
    this.oWidths = new int[] {dv};
    final int len = contiguous.length(rank);
    final int zlen = layout.length(rank);
    final int[] positions = new int[len];
    for (int r = 0; r < len; r++) {
      positions[r] = contiguous.position(rank, r);
    }
    this.rope = new Rope(positions, dk);
    this.ops = new SoftmaxSpAttention[cfg.layers()];
    this.caches = new TensorArena[cfg.layers()];
    for (int l = 0; l < cfg.layers(); l++) {
      if (!cfg.isSoftmax(l)) {
        continue;
      }
      ops[l] = SoftmaxSpAttention.create(strategy, comm, rank, layout, heads, dk, dv, 1f);
      final TensorArena.Builder c =
          TensorArena.builder("softmax layer " + l)
              .add("q", heads, len, dk)
              .add("k", heads, len, dk)
              .add("lse", heads, zlen);
      if (zigzag) {
        c.add("qz", heads, zlen, dk).add("kz", heads, zlen, dk);
        c.add("vz", heads, zlen, dv).add("oz", heads, zlen, dv);
      } else {
        c.add("o", heads, len, dv);
      }
      caches[l] = c.build();
    }
    final boolean relayout = zigzag && ranks > 1;
    this.scratch =
        zigzag
            ? TensorArena.builder("softmax zigzag scratch")
                .add("dOz", heads, zlen, dv)
                .add("dqz", heads, zlen, dk)
                .add("dkz", heads, zlen, dk)
                .add("dvz", heads, zlen, dv)
                .build()
            : null;
    this.toZigzag =
        relayout ? new PieceRelayout(comm, contiguous, layout, heads, 2 * dk + dv) : null;
    this.toContiguous =
        relayout ? new PieceRelayout(comm, layout, contiguous, heads, 2 * dk + dv) : null;
  }

  public SoftmaxStrategy strategy() {
    return strategy;
  }

  /** The operator of softmax layer {@code layer} (for its accounting). */
  public SoftmaxSpAttention layer(final int layer) {
    return ops[layer];
  }

  @Override
  public void forward(
      final int layer,
      final FloatView o,
      final FloatView q,
      final FloatView k,
      final FloatView v,
      final FloatView g,
      final float[] logLambda) {
    final TensorArena c = cache(layer);
    final MemorySegment qr = c.view("q").segment();
    final MemorySegment kr = c.view("k").segment();
    MemorySegment.copy(q.segment(), 0, qr, 0, qr.byteSize());
    MemorySegment.copy(k.segment(), 0, kr, 0, kr.byteSize());
    rope.apply(qr, heads, false);
    rope.apply(kr, heads, false);
    final MemorySegment lse = c.view("lse").segment();
    if (!zigzag) {
      final MemorySegment oc = c.view("o").segment();
      ops[layer].forward(oc, lse, qr, kr, v.segment());
      MemorySegment.copy(oc, 0, o.segment(), 0, oc.byteSize());
      return;
    }
    final MemorySegment qz = c.view("qz").segment();
    final MemorySegment kz = c.view("kz").segment();
    final MemorySegment vz = c.view("vz").segment();
    final MemorySegment oz = c.view("oz").segment();
    relayout(
        toZigzag,
        new MemorySegment[] {qr, kr, v.segment()},
        new MemorySegment[] {qz, kz, vz},
        qkvWidths);
    ops[layer].forward(oz, lse, qz, kz, vz);
    relayout(toContiguous, new MemorySegment[] {oz}, new MemorySegment[] {o.segment()}, oWidths);
  }

  @Override
  public void backward(
      final int layer,
      final FloatView dq,
      final FloatView dk,
      final FloatView dv,
      final FloatView dg,
      final FloatView dO,
      final FloatView q,
      final FloatView k,
      final FloatView v,
      final FloatView g,
      final float[] logLambda) {
    final TensorArena c = cache(layer);
    final MemorySegment lse = c.view("lse").segment();
    if (!zigzag) {
      ops[layer].backward(
          dq.segment(),
          dk.segment(),
          dv.segment(),
          dO.segment(),
          c.view("q").segment(),
          c.view("k").segment(),
          v.segment(),
          c.view("o").segment(),
          lse);
    } else {
      final MemorySegment dOz = scratch.view("dOz").segment();
      final MemorySegment dqz = scratch.view("dqz").segment();
      final MemorySegment dkz = scratch.view("dkz").segment();
      final MemorySegment dvz = scratch.view("dvz").segment();
      relayout(toZigzag, new MemorySegment[] {dO.segment()}, new MemorySegment[] {dOz}, oWidths);
      ops[layer].backward(
          dqz,
          dkz,
          dvz,
          dOz,
          c.view("qz").segment(),
          c.view("kz").segment(),
          c.view("vz").segment(),
          c.view("oz").segment(),
          lse);
      relayout(
          toContiguous,
          new MemorySegment[] {dqz, dkz, dvz},
          new MemorySegment[] {dq.segment(), dk.segment(), dv.segment()},
          qkvWidths);
    }
    rope.apply(dq.segment(), heads, true);
    rope.apply(dk.segment(), heads, true);
    if (dg != null) {
      dg.zero(); // softmax layers have no gate
    }
  }

  private TensorArena cache(final int layer) {
    if (caches[layer] == null) {
      throw new IllegalArgumentException("layer " + layer + " is not a softmax layer");
    }
    return caches[layer];
  }

  /** One rank: contiguous and zigzag hold the same two pieces, so a copy is the relayout. */
  private static void relayout(
      final PieceRelayout r,
      final MemorySegment[] src,
      final MemorySegment[] dst,
      final int[] widths) {
    if (r != null) {
      r.run(src, dst, widths);
      return;
    }
    for (int t = 0; t < src.length; t++) {
      MemorySegment.copy(src[t], 0, dst[t], 0, dst[t].byteSize());
    }
  }

  @Override
  public void close() {
    for (int l = 0; l < ops.length; l++) {
      if (ops[l] != null) {
        ops[l].close();
        caches[l].close();
      }
    }
    if (scratch != null) {
      scratch.close();
    }
    if (toZigzag != null) {
      toZigzag.close();
      toContiguous.close();
    }
  }
}
