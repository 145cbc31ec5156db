package io.seqpar.worker.kernel;

/**
 * The slow float64 twin of {@link ChunkedLinearAttention}, used only by tests: the token-by-token
 * recurrence of algorithms.md §0 and its exact reverse-mode gradient, for one head.
 *
 * <pre>
 *   S_t = diag(a_t) S_{t-1} + k_tᵀ v_t      o_t = q_t S_t      a_t = exp(g_t) (per key dim)
 * </pre>
 *
 * It differs from the fast kernel in everything but the math: no chunks, no GEMMs, doubles
 * throughout, states kept for every token.
 */
final class LinearAttentionReference {
  private LinearAttentionReference() {}

  /** Outputs of one head. */
  record Result(
      double[] o, double[] sT, double[] dq, double[] dk, double[] dv, double[] dg, double[] dsIn) {}

  /**
   * Forward and backward of the loss {@code Σ dO ⊙ o + Σ dSOut ⊙ S_L}.
   *
   * @param g per-token per-dim log-gates {@code [L, dk]} (all modes: plain → zeros, const → ln λ)
   * @param sIn incoming state {@code [dk, dv]} or null
   * @param dSOut gradient of the final state or null
   */
  static Result run(
      final float[] q,
      final float[] k,
      final float[] v,
      final float[] dO,
      final double[] g,
      final float[] sIn,
      final float[] dSOut,
      final int len,
      final int dk,
      final int dv) {
    final double[][] states = new double[len + 1][dk * dv];
    if (sIn != null) {
      for (int i = 0; i < dk * dv; i++) {
        states[0][i] = sIn[i];
      }
    }
    final double[] o = new double[len * dv];
    for (int t = 0; t < len; t++) {
      final double[] prev = states[t];
      final double[] cur = states[t + 1];
      for (int i = 0; i < dk; i++) {
        final double a = Math.exp(g[t * dk + i]);
        for (int j = 0; j < dv; j++) {
          cur[i * dv + j] = a * prev[i * dv + j] + (double) k[t * dk + i] * v[t * dv + j];
        }
      }
      for (int j = 0; j < dv; j++) {
        double s = 0;
        for (int i = 0; i < dk; i++) {
          s += q[t * dk + i] * cur[i * dv + j];
        }
        o[t * dv + j] = s;
      }
    }
    // Reverse: dS is the gradient w.r.t. S_t (through o_t and everything after).
    final double[] dS = new double[dk * dv];
    if (dSOut != null) {
      for (int i = 0; i < dk * dv; i++) {
        dS[i] = dSOut[i];
      }
    }
    final double[] dq = new double[len * dk];
    final double[] dkk = new double[len * dk];
    final double[] dvv = new double[len * dv];
    final double[] dg = new double[len * dk];
    for (int t = len - 1; t >= 0; t--) {
      final double[] cur = states[t + 1];
      final double[] prev = states[t];
      // o_t = q_t S_t
      for (int i = 0; i < dk; i++) {
        double s = 0;
        for (int j = 0; j < dv; j++) {
          s += dO[t * dv + j] * cur[i * dv + j];
          dS[i * dv + j] += q[t * dk + i] * dO[t * dv + j];
        }
        dq[t * dk + i] = s;
      }
      // S_t = diag(a_t) S_{t-1} + k_tᵀ v_t
      for (int i = 0; i < dk; i++) {
        final double a = Math.exp(g[t * dk + i]);
        double sk = 0;
        double sg = 0;
        for (int j = 0; j < dv; j++) {
          final double ds = dS[i * dv + j];
          sk += ds * v[t * dv + j];
          sg += ds * prev[i * dv + j];
        }
        dkk[t * dk + i] = sk;
        dg[t * dk + i] = a * sg;
        for (int j = 0; j < dv; j++) {
          dvv[t * dv + j] += k[t * dk + i] * dS[i * dv + j];
          dS[i * dv + j] *= a;
        }
      }
    }
    return new Result(o, states[len], dq, dkk, dvv, dg, dS);
  }
}
