package io.seqpar.worker.model;

import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.TensorArena;
import io.seqpar.worker.kernel.DecayMode;
import java.lang.foreign.MemorySegment;

/**
 * One block, forward next to backward (docs/MODEL.md):
 *
 * <pre>
 *   h  = RMSNorm(x; attn_norm)
 *   q  = (h Wq) · dk^-1/2 ; k = h Wk ; v = h Wv          per head, [B, H, L, d]
 *   g  = logsigmoid(h Wg + bg) / 16                       gla only
 *   o  = AttentionOp(q, k, v, g)
 *   on = HeadRMSNorm(o; head_norm)                        → [B, L, H·dv]
 *   xm = x + on Wo
 *   u  = RMSNorm(xm; mlp_norm)
 *   y  = xm + (silu(u W1) ⊙ (u W3)) W2
 * </pre>
 *
 * All views (weights, their gradients, cached activations, shared scratch) are resolved once at
 * construction; forward and backward only compute. N = B·L rows, token-major {@code [B, L, ·]}.
 */
final class Block {
  private final int layer;
  private final ModelConfig c;
  private final int batch;
  private final int len;
  private final int rows;
  private final AttentionOp attention;
  private final float[] logLambda;

  // weights [shapes in ParameterSet] and their gradients
  private final MemorySegment wAttnNorm, wq, wk, wv, wg, bg, wHeadNorm, wo, wMlpNorm, w1, w3, w2;
  private final MemorySegment dwAttnNorm, dwq, dwk, dwv, dwg, dbg, dwHeadNorm, dwo, dwMlpNorm;
  private final MemorySegment dw1, dw3, dw2;
  // cached activations of this block
  private final MemorySegment x; // [N, D] block input (residual)
  private final MemorySegment y; // [N, D] block output (the next block's x)
  private final MemorySegment h, hRstd; // [N, D], [N]
  private final FloatView q, k, v, gatePre, g, o; // [B, H, L, dk|dv]
  private final MemorySegment oRstd; // [B, H, L]
  private final MemorySegment on; // [N, H·dv]
  private final MemorySegment xm; // [N, D]
  private final MemorySegment u, uRstd; // [N, D], [N]
  private final MemorySegment a1, a3; // [N, F]
  // scratch shared by all blocks
  private final MemorySegment m; // [N, F] silu(a1) ⊙ a3, recomputed in backward
  private final MemorySegment dm, da1, da3; // [N, F]
  private final MemorySegment du, dh; // [N, D]
  private final MemorySegment don; // [N, H·dv]
  private final FloatView dq, dk, dv, dg, dO; // [B, H, L, d]

  Block(
      final int layer,
      final ModelConfig c,
      final int batch,
      final int len,
      final ParameterSet p,
      final TensorArena act,
      final TensorArena grad,
      final AttentionOp attention) {
    this.layer = layer;
    this.c = c;
    this.batch = batch;
    this.len = len;
    this.rows = batch * len;
    this.attention = attention;
    final boolean gla = c.gated(layer); // softmax layers of a gla hybrid have no gate
    this.logLambda = c.decay() == DecayMode.CONST_DECAY ? new float[c.heads()] : null;
    for (int i = 0; logLambda != null && i < c.heads(); i++) {
      logLambda[i] = c.logLambda(i);
    }
    final String b = "blocks." + layer + ".";
    wAttnNorm = p.param(b + "attn_norm.weight").segment();
    wq = p.param(b + "attn.wq").segment();
    wk = p.param(b + "attn.wk").segment();
    wv = p.param(b + "attn.wv").segment();
    wg = gla ? p.param(b + "attn.wg").segment() : null;
    bg = gla ? p.param(b + "attn.bg").segment() : null;
    wHeadNorm = p.param(b + "attn.head_norm.weight").segment();
    wo = p.param(b + "attn.wo").segment();
    wMlpNorm = p.param(b + "mlp_norm.weight").segment();
    w1 = p.param(b + "mlp.w1").segment();
    w3 = p.param(b + "mlp.w3").segment();
    w2 = p.param(b + "mlp.w2").segment();
    dwAttnNorm = p.grad(b + "attn_norm.weight").segment();
    dwq = p.grad(b + "attn.wq").segment();
    dwk = p.grad(b + "attn.wk").segment();
    dwv = p.grad(b + "attn.wv").segment();
    dwg = gla ? p.grad(b + "attn.wg").segment() : null;
    dbg = gla ? p.grad(b + "attn.bg").segment() : null;
    dwHeadNorm = p.grad(b + "attn.head_norm.weight").segment();
    dwo = p.grad(b + "attn.wo").segment();
    dwMlpNorm = p.grad(b + "mlp_norm.weight").segment();
    dw1 = p.grad(b + "mlp.w1").segment();
    dw3 = p.grad(b + "mlp.w3").segment();
    dw2 = p.grad(b + "mlp.w2").segment();
    x = act.view("residual." + layer).segment();
    y = act.view("residual." + (layer + 1)).segment();
    h = act.view(b + "h").segment();
    hRstd = act.view(b + "h_rstd").segment();
    q = act.view(b + "q");
    k = act.view(b + "k");
    v = act.view(b + "v");
    gatePre = gla ? act.view(b + "gate_pre") : null;
    g = gla ? act.view(b + "g") : null;
    o = act.view(b + "o");
    oRstd = act.view(b + "o_rstd").segment();
    on = act.view(b + "on").segment();
    xm = act.view(b + "x_mid").segment();
    u = act.view(b + "u").segment();
    uRstd = act.view(b + "u_rstd").segment();
    a1 = act.view(b + "a1").segment();
    a3 = act.view(b + "a3").segment();
    m = act.view("m").segment();
    dm = grad.view("dm").segment();
    da1 = grad.view("da1").segment();
    da3 = grad.view("da3").segment();
    du = grad.view("du").segment();
    dh = grad.view("dh").segment();
    don = grad.view("don").segment();
    dq = grad.view("dq");
    dk = grad.view("dk");
    dv = grad.view("dv");
    dg = gla ? grad.view("dg") : null;
    dO = grad.view("dO");
  }

  /** Reads {@code residual.layer}, writes {@code residual.(layer+1)} and this block's cache. */
  void forward() {
    final int d = c.dModel();
    final int hv = c.heads() * c.dv();
    final int f = c.hidden();
    // h = RMSNorm(x; attn_norm)
    RmsNorm.forward(h, hRstd, x, wAttnNorm, rows, d);
    // q, k, v (and the gate pre-activation) per (b, head): [L, D] · W[head rows]ᵀ → [L, d]
    for (int b = 0; b < batch; b++) {
      for (int hd = 0; hd < c.heads(); hd++) {
        projectHead(q.segment(), wq, null, b, hd, c.dk());
        projectHead(k.segment(), wk, null, b, hd, c.dk());
        projectHead(v.segment(), wv, null, b, hd, c.dv());
        if (gatePre != null) {
          projectHead(gatePre.segment(), wg, bg, b, hd, c.dk());
        }
      }
    }
    scale(q.segment(), q.count(), c.queryScale());
    if (g != null) {
      // g = logsigmoid(gate_pre) / 16
      Activations.gateForward(g.segment(), gatePre.segment(), g.count());
    }
    // o = LinearAttention(q, k, v, g), per head
    attention.forward(layer, o, q, k, v, g, logLambda);
    // on = HeadRMSNorm(o)  [B, H, L, dv] → [B, L, H·dv]
    HeadRmsNorm.forward(on, oRstd, o.segment(), wHeadNorm, batch, c.heads(), len, c.dv());
    // xm = x + on Woᵀ
    MemorySegment.copy(x, 0, xm, 0, (long) rows * d * Float.BYTES);
    Matmul.forward(xm, 0, on, 0, wo, 0, null, 0, rows, hv, d, true);
    // u = RMSNorm(xm; mlp_norm); a1 = u W1ᵀ; a3 = u W3ᵀ; m = silu(a1) ⊙ a3
    RmsNorm.forward(u, uRstd, xm, wMlpNorm, rows, d);
    Matmul.forward(a1, 0, u, 0, w1, 0, null, 0, rows, d, f, false);
    Matmul.forward(a3, 0, u, 0, w3, 0, null, 0, rows, d, f, false);
    Activations.swigluForward(m, a1, a3, (long) rows * f);
    // y = xm + m W2ᵀ
    MemorySegment.copy(xm, 0, y, 0, (long) rows * d * Float.BYTES);
    Matmul.forward(y, 0, m, 0, w2, 0, null, 0, rows, f, d, true);
  }

  /**
   * @param dres {@code [N, D]}: in, ∂loss/∂y; out, ∂loss/∂x. Parameter gradients accumulate.
   */
  void backward(final MemorySegment dres, final BackwardListener progress) {
    final int d = c.dModel();
    final int hv = c.heads() * c.dv();
    final int f = c.hidden();
    final long nf = (long) rows * f;
    // y = xm + m W2ᵀ: dxm = dres (same buffer); dm = dres W2; dW2 += dresᵀ m (m recomputed)
    Activations.swigluForward(m, a1, a3, nf);
    dm.asSlice(0, nf * Float.BYTES).fill((byte) 0);
    progress.poll();
    Matmul.backward(dm, 0, dw2, 0, null, 0, dres, 0, m, 0, w2, 0, rows, f, d, progress);
    // m = silu(a1) ⊙ a3
    Activations.swigluBackward(da1, da3, dm, a1, a3, nf);
    // a1 = u W1ᵀ, a3 = u W3ᵀ: du = da1 W1 + da3 W3
    zero(du, (long) rows * d);
    progress.poll();
    Matmul.backward(du, 0, dw1, 0, null, 0, da1, 0, u, 0, w1, 0, rows, d, f, progress);
    Matmul.backward(du, 0, dw3, 0, null, 0, da3, 0, u, 0, w3, 0, rows, d, f, progress);
    // u = RMSNorm(xm): dres += ∂u/∂xm · du  → dres = ∂loss/∂xm
    RmsNorm.backward(dres, dwMlpNorm, du, xm, wMlpNorm, uRstd, rows, d);
    // xm = x + on Woᵀ: dx = dres (same buffer); don = dres Wo
    zero(don, (long) rows * hv);
    progress.poll();
    Matmul.backward(don, 0, dwo, 0, null, 0, dres, 0, on, 0, wo, 0, rows, hv, d, progress);
    // on = HeadRMSNorm(o)
    dO.zero();
    HeadRmsNorm.backward(
        dO.segment(),
        dwHeadNorm,
        don,
        o.segment(),
        wHeadNorm,
        oRstd,
        batch,
        c.heads(),
        len,
        c.dv());
    // o = LinearAttention(q, k, v, g)
    progress.beforeAttention(layer);
    attention.backward(layer, dq, dk, dv, dg, dO, q, k, v, g, logLambda);
    // q was scaled after the projection
    scale(dq.segment(), dq.count(), c.queryScale());
    if (g != null) {
      // g = logsigmoid(gate_pre)/16: dgate_pre = dg σ(−gate_pre)/16, in place over dg
      Activations.gateBackward(dg.segment(), dg.segment(), gatePre.segment(), dg.count());
    }
    // projections: dh = Σ_heads dq Wq + dk Wk + dv Wv (+ dgate Wg); weight grads per head rows
    zero(dh, (long) rows * d);
    for (int b = 0; b < batch; b++) {
      for (int hd = 0; hd < c.heads(); hd++) {
        projectHeadBackward(dwq, null, dq.segment(), wq, b, hd, c.dk());
        projectHeadBackward(dwk, null, dk.segment(), wk, b, hd, c.dk());
        projectHeadBackward(dwv, null, dv.segment(), wv, b, hd, c.dv());
        if (dg != null) {
          projectHeadBackward(dwg, dbg, dg.segment(), wg, b, hd, c.dk());
        }
      }
    }
    // h = RMSNorm(x): dres += ∂h/∂x · dh  → dres = ∂loss/∂x
    RmsNorm.backward(dres, dwAttnNorm, dh, x, wAttnNorm, hRstd, rows, d);
  }

  /** out[b, head] {@code [L, dh]} = h[b] {@code [L, D]} · W[head·dh .. +dh, :]ᵀ (+ bias). */
  private void projectHead(
      final MemorySegment out,
      final MemorySegment w,
      final MemorySegment bias,
      final int b,
      final int head,
      final int dHead) {
    final int d = c.dModel();
    final long outOff = ((long) b * c.heads() + head) * len * dHead; // out[b, head, 0, 0]
    final long inOff = (long) b * len * d; // h[b, 0, 0]
    final long wOff = (long) head * dHead * d; // W[head·dh, 0]
    Matmul.forward(out, outOff, h, inOff, w, wOff, bias, (long) head * dHead, len, d, dHead, false);
  }

  /** Backward of {@link #projectHead}: dh[b] += dout W_head; dW_head += doutᵀ h[b]. */
  private void projectHeadBackward(
      final MemorySegment dw,
      final MemorySegment dbias,
      final MemorySegment dout,
      final MemorySegment w,
      final int b,
      final int head,
      final int dHead) {
    final int d = c.dModel();
    final long outOff = ((long) b * c.heads() + head) * len * dHead;
    final long inOff = (long) b * len * d;
    final long wOff = (long) head * dHead * d;
    Matmul.backward(
        dh,
        inOff,
        dw,
        wOff,
        dbias,
        (long) head * dHead,
        dout,
        outOff,
        h,
        inOff,
        w,
        wOff,
        len,
        d,
        dHead);
  }

  private static void scale(final MemorySegment s, final long n, final float factor) {
    for (long i = 0; i < n; i++) {
      s.setAtIndex(VecMath.F, i, s.getAtIndex(VecMath.F, i) * factor);
    }
  }

  private static void zero(final MemorySegment s, final long floats) {
    s.asSlice(0, floats * Float.BYTES).fill((byte) 0);
  }
}
