package io.seqpar.worker.model;

import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.TensorArena;
import io.seqpar.worker.kernel.DecayMode;
import java.lang.foreign.MemorySegment;

/**
 * The linear-attention language model on one rank's slice: B sequences of L tokens each (N = B·L
 * rows, token-major). Forward caches what backward needs in one activation arena; backward
 * accumulates ({@code +=}) into {@link ParameterSet}'s gradients. Workspaces are planned once for
 * (B, L); a step allocates nothing.
 *
 * <p>A training step on one rank of a sequence-parallel group:
 *
 * <pre>{@code
 * params.zeroGradients();
 * double loss = model.forward(tokens, targets, tokensGlobal); // this rank's Σ CE / tokensGlobal
 * model.backward();                                            // grads += ∂loss/∂θ
 * // SP: all-reduce(sum) the gradients and the loss across the group, then clip and step AdamW
 * }</pre>
 *
 * {@code targets[r]} is the global next token of {@code tokens[r]} (shifted by the caller before
 * sharding, so the last target of a rank is the first token of the next rank), and {@code
 * tokensGlobal} is the number of loss terms over the whole group, so rank losses simply add up.
 *
 * <p>Cache policy (docs/MODEL.md): per block the input residual, both norm outputs and their {@code
 * rstd}, q, k, v, (gate pre-activation and log-gates), the attention output and its head-norm
 * output, and the MLP pre-activations {@code a1, a3} are kept; {@code silu(a1) ⊙ a3} is recomputed
 * in backward; the attention kernel recomputes its chunk states itself. Activation gradients live
 * in a second arena of single-layer buffers reused by every block.
 */
public final class LanguageModel implements AutoCloseable {
  private final ModelConfig c;
  private final int batch;
  private final int len;
  private final int rows;
  private final ParameterSet params;
  private final TensorArena act;
  private final TensorArena grad;
  private final Block[] blocks;
  private final AttentionOp attention;
  private final int[] tokens;
  private final int[] targets;
  private float invTokens;
  private boolean forwardDone;

  /**
   * @param params parameters and gradients (shared with the optimizer and checkpoint I/O)
   * @param batch sequences per step, B
   * @param len this rank's tokens per sequence, L
   * @param attention the attention operator: {@link LocalAttention}, or a sequence-parallel one
   */
  public LanguageModel(
      final ParameterSet params, final int batch, final int len, final AttentionOp attention) {
    this.c = params.config();
    this.params = params;
    this.batch = batch;
    this.len = len;
    if (batch < 1 || len < 1) {
      throw new IllegalArgumentException("batch=" + batch + " len=" + len + " (each >= 1)");
    }
    this.rows = Math.multiplyExact(batch, len);
    this.act = planActivations(c, batch, len).build();
    this.grad = planGradients(c, batch, len).build();
    this.attention = attention;
    this.blocks = new Block[c.layers()];
    for (int i = 0; i < c.layers(); i++) {
      blocks[i] = new Block(i, c, batch, len, params, act, grad, attention);
    }
    this.tokens = new int[rows];
    this.targets = new int[rows];
  }

  static TensorArena.Builder planActivations(final ModelConfig c, final int b, final int l) {
    final int n = b * l;
    final int d = c.dModel();
    final int hs = c.heads();
    final TensorArena.Builder a = TensorArena.builder("activations");
    for (int i = 0; i <= c.layers(); i++) {
      a.add("residual." + i, n, d); // input of block i; residual.layers feeds the final norm
    }
    for (int i = 0; i < c.layers(); i++) {
      final String p = "blocks." + i + ".";
      a.add(p + "h", n, d).add(p + "h_rstd", n);
      a.add(p + "q", b, hs, l, c.dk())
          .add(p + "k", b, hs, l, c.dk())
          .add(p + "v", b, hs, l, c.dv());
      if (c.gated(i)) {
        a.add(p + "gate_pre", b, hs, l, c.dk()).add(p + "g", b, hs, l, c.dk());
      }
      a.add(p + "o", b, hs, l, c.dv()).add(p + "o_rstd", b, hs, l).add(p + "on", n, hs * c.dv());
      a.add(p + "x_mid", n, d).add(p + "u", n, d).add(p + "u_rstd", n);
      a.add(p + "a1", n, c.hidden()).add(p + "a3", n, c.hidden());
    }
    a.add("m", n, c.hidden());
    a.add("xf", n, d).add("xf_rstd", n);
    a.add("logits", n, c.vocab()).add("lse", n);
    return a;
  }

  static TensorArena.Builder planGradients(final ModelConfig c, final int b, final int l) {
    final int n = b * l;
    final int d = c.dModel();
    final int hs = c.heads();
    final TensorArena.Builder g = TensorArena.builder("activation-grads");
    g.add("dres", n, d).add("dxf", n, d).add("dh", n, d).add("du", n, d);
    g.add("dq", b, hs, l, c.dk()).add("dk", b, hs, l, c.dk()).add("dv", b, hs, l, c.dv());
    if (c.decay() == DecayMode.GLA) {
      g.add("dg", b, hs, l, c.dk());
    }
    g.add("dO", b, hs, l, c.dv()).add("don", n, hs * c.dv());
    g.add("dm", n, c.hidden()).add("da1", n, c.hidden()).add("da3", n, c.hidden());
    return g;
  }

  /**
   * Forward and loss.
   *
   * @param tokenIds {@code [B·L]} token ids of this rank's slices, sequence-major
   * @param targetIds {@code [B·L]} the global next token of each
   * @param tokensGlobal loss terms over the whole SP group (B·T for full sequences)
   * @return this rank's {@code Σ CE / tokensGlobal}
   */
  public double forward(final int[] tokenIds, final int[] targetIds, final long tokensGlobal) {
    if (tokenIds.length != rows || targetIds.length != rows) {
      throw new IllegalArgumentException(
          "tokens " + tokenIds.length + ", targets " + targetIds.length + ", expected B·L=" + rows);
    }
    if (tokensGlobal < 1) {
      throw new IllegalArgumentException("tokensGlobal=" + tokensGlobal + " (>= 1)");
    }
    for (int r = 0; r < rows; r++) {
      checkId("token", r, tokenIds[r]);
      checkId("target", r, targetIds[r]);
    }
    System.arraycopy(tokenIds, 0, tokens, 0, rows);
    System.arraycopy(targetIds, 0, targets, 0, rows);
    invTokens = (float) (1.0 / tokensGlobal);
    final int d = c.dModel();
    // residual.0[r] = E[tokens[r]]
    final MemorySegment e = params.param("embed.weight").segment();
    final MemorySegment x0 = act.view("residual.0").segment();
    for (int r = 0; r < rows; r++) {
      MemorySegment.copy(e, (long) tokens[r] * d * 4, x0, (long) r * d * 4, (long) d * 4);
    }
    for (final Block b : blocks) {
      b.forward();
    }
    // xf = RMSNorm(residual.layers); logits = xf Wlmᵀ
    final MemorySegment xl = act.view("residual." + c.layers()).segment();
    final MemorySegment xf = act.view("xf").segment();
    RmsNorm.forward(
        xf,
        act.view("xf_rstd").segment(),
        xl,
        params.param("final_norm.weight").segment(),
        rows,
        d);
    final MemorySegment logits = act.view("logits").segment();
    Matmul.forward(logits, 0, xf, 0, lmHead().segment(), 0, null, 0, rows, d, c.vocab(), false);
    final double ce =
        CrossEntropy.forward(act.view("lse").segment(), logits, targets, rows, c.vocab());
    forwardDone = true;
    return ce / tokensGlobal;
  }

  /** Backward of the last {@link #forward}; parameter gradients accumulate ({@code +=}). */
  public void backward() {
    backward(BackwardListener.NONE);
  }

  /**
   * Backward of the last {@link #forward}, telling {@code listener} when each bucket of {@link
   * ParameterSet#gradientBuckets()} is final and polling it between pieces of compute; parameter
   * gradients accumulate ({@code +=}). The arithmetic is that of {@link #backward()}.
   */
  public void backward(final BackwardListener listener) {
    if (!forwardDone) {
      throw new IllegalStateException("backward without a forward");
    }
    forwardDone = false; // the logits buffer now holds dlogits
    final int d = c.dModel();
    final MemorySegment logits = act.view("logits").segment();
    // loss = CE(logits): dlogits = (softmax − onehot) / tokensGlobal, over the logits buffer
    CrossEntropy.backward(logits, act.view("lse").segment(), targets, invTokens, rows, c.vocab());
    // logits = xf Wlmᵀ
    final MemorySegment dxf = grad.view("dxf").segment();
    final MemorySegment xf = act.view("xf").segment();
    grad.view("dxf").zero();
    Matmul.backward(
        dxf,
        0,
        lmHeadGrad().segment(),
        0,
        null,
        0,
        logits,
        0,
        xf,
        0,
        lmHead().segment(),
        0,
        rows,
        d,
        c.vocab());
    // xf = RMSNorm(residual.layers)
    final FloatView dres = grad.view("dres");
    dres.zero();
    RmsNorm.backward(
        dres.segment(),
        params.grad("final_norm.weight").segment(),
        dxf,
        act.view("residual." + c.layers()).segment(),
        params.param("final_norm.weight").segment(),
        act.view("xf_rstd").segment(),
        rows,
        d);
    listener.bucketReady(0); // final_norm, lm_head
    for (int i = blocks.length - 1; i >= 0; i--) {
      blocks[i].backward(dres.segment(), listener);
      listener.bucketReady(blocks.length - i);
    }
    // residual.0[r] = E[tokens[r]]: dE[tokens[r]] += dres[r]
    final MemorySegment de = params.grad("embed.weight").segment();
    for (int r = 0; r < rows; r++) {
      VecMath.axpy(de, (long) tokens[r] * d, 1f, dres.segment(), (long) r * d, d);
    }
    listener.bucketReady(blocks.length + 1);
  }

  /** The cached logits {@code [N, V]} of the last forward (before backward overwrites them). */
  public FloatView logits() {
    return act.view("logits");
  }

  public ParameterSet parameters() {
    return params;
  }

  /** The attention operator the blocks call (for its accounting). */
  public AttentionOp attention() {
    return attention;
  }

  public int batch() {
    return batch;
  }

  public int len() {
    return len;
  }

  /** Bytes of the activation and activation-gradient arenas (for memory reports). */
  public long activationBytes() {
    return act.byteSize() + grad.byteSize();
  }

  @Override
  public void close() {
    act.close();
    grad.close();
  }

  private FloatView lmHead() {
    return params.param(c.tieEmbeddings() ? "embed.weight" : "lm_head.weight");
  }

  private FloatView lmHeadGrad() {
    return params.grad(c.tieEmbeddings() ? "embed.weight" : "lm_head.weight");
  }

  private void checkId(final String what, final int r, final int id) {
    if (id < 0 || id >= c.vocab()) {
      throw new IllegalArgumentException(
          what + "[" + r + "]=" + id + " outside the vocabulary [0, " + c.vocab() + ")");
    }
  }
}
