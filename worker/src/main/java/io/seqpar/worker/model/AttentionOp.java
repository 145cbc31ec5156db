package io.seqpar.worker.model;

import io.seqpar.tensor.FloatView;

/**
 * The linear-attention operator a block calls, over this rank's slice of every sequence and every
 * head: {@code S_t = diag(exp g_t) S_{t-1} + k_tᵀ v_t}, {@code o_t = q_t S_t} (no score scale; the
 * model has already scaled q). {@link LocalAttention} runs it on one rank; a sequence-parallel
 * implementation exchanges state summaries with the other ranks of the group inside these two calls
 * (the model does not change).
 *
 * <p>All tensors are head-major {@code [B, H, L, d]} (L = this rank's tokens per sequence), so each
 * (b, h) is one contiguous {@code [L, d]} slice. Outputs are overwritten ({@code =}).
 */
public interface AttentionOp {
  /**
   * @param layer block index (SP implementations tag messages with it)
   * @param o {@code [B, H, L, dv]} (=)
   * @param q {@code [B, H, L, dk]} already scaled by dk^-1/2
   * @param k {@code [B, H, L, dk]}
   * @param v {@code [B, H, L, dv]}
   * @param g GLA: log-gates {@code [B, H, L, dk]} (≤ 0); null otherwise
   * @param logLambda CONST_DECAY: {@code [H]} ln λ_h; null otherwise
   */
  void forward(
      int layer,
      FloatView o,
      FloatView q,
      FloatView k,
      FloatView v,
      FloatView g,
      float[] logLambda);

  /**
   * Backward of {@code Σ dO ⊙ o}.
   *
   * @param dq {@code [B, H, L, dk]} (=)
   * @param dk {@code [B, H, L, dk]} (=)
   * @param dv {@code [B, H, L, dv]} (=)
   * @param dg GLA: {@code [B, H, L, dk]} (=) gradient w.r.t. the log-gates; null otherwise
   * @param dO {@code [B, H, L, dv]}
   */
  void backward(
      int layer,
      FloatView dq,
      FloatView dk,
      FloatView dv,
      FloatView dg,
      FloatView dO,
      FloatView q,
      FloatView k,
      FloatView v,
      FloatView g,
      float[] logLambda);
}
