package io.seqpar.worker.sp;

/**
 * Dense causal softmax attention in float64 (the test oracle, algorithms.md §7): per head, {@code
 * o_i = Σ_{j ≤ i} softmax_j(s·q_i·k_j) v_j}, and the gradients of {@code Σ dO ⊙ o}. Tensors are
 * {@code [heads, T, d]} row-major.
 */
final class SoftmaxReference {
  final double[] o;
  final double[] dq;
  final double[] dk;
  final double[] dv;

  SoftmaxReference(
      final float[] q,
      final float[] k,
      final float[] v,
      final float[] dO,
      final int heads,
      final int t,
      final int dkDim,
      final int dvDim) {
    o = new double[heads * t * dvDim];
    dq = new double[heads * t * dkDim];
    dk = new double[heads * t * dkDim];
    dv = new double[heads * t * dvDim];
    final double s = 1.0 / Math.sqrt(dkDim);
    final double[] p = new double[t];
    final double[] dp = new double[t];
    for (int h = 0; h < heads; h++) {
      final int qk = h * t * dkDim;
      final int vv = h * t * dvDim;
      for (int i = 0; i < t; i++) {
        double mx = Double.NEGATIVE_INFINITY;
        for (int j = 0; j <= i; j++) {
          double z = 0;
          for (int c = 0; c < dkDim; c++) {
            z += (double) q[qk + i * dkDim + c] * k[qk + j * dkDim + c];
          }
          p[j] = s * z;
          mx = Math.max(mx, p[j]);
        }
        double sum = 0;
        for (int j = 0; j <= i; j++) {
          p[j] = Math.exp(p[j] - mx);
          sum += p[j];
        }
        double d = 0;
        for (int j = 0; j <= i; j++) {
          p[j] /= sum;
          double g = 0;
          for (int c = 0; c < dvDim; c++) {
            o[vv + i * dvDim + c] += p[j] * v[vv + j * dvDim + c];
            g += (double) dO[vv + i * dvDim + c] * v[vv + j * dvDim + c];
          }
          dp[j] = g;
          d += p[j] * g;
        }
        for (int j = 0; j <= i; j++) {
          final double dz = p[j] * (dp[j] - d);
          for (int c = 0; c < dkDim; c++) {
            dq[qk + i * dkDim + c] += s * dz * k[qk + j * dkDim + c];
            dk[qk + j * dkDim + c] += s * dz * q[qk + i * dkDim + c];
          }
          for (int c = 0; c < dvDim; c++) {
            dv[vv + j * dvDim + c] += p[j] * dO[vv + i * dvDim + c];
          }
        }
      }
    }
  }
}
