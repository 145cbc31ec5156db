package io.seqpar.collectives;

/** Float64 twin of the exclusive scan, for synthetic cases (oracle cases use the .npy files). */
final class ScanReference {
  private ScanReference() {}

  /**
   * logs[p][rows], states[p][rows*dv] → exclusive scan in visiting order ({@code forward} or
   * reverse), out[p][rows*dv].
   */
  static double[][] exclusive(
      final float[][] logs,
      final float[][] states,
      final int rows,
      final int dv,
      final boolean forward) {
    final int p = logs.length;
    final double[][] out = new double[p][rows * dv];
    final double[] acc = new double[rows * dv];
    for (int v = 0; v < p; v++) {
      final int r = forward ? v : p - 1 - v;
      System.arraycopy(acc, 0, out[r], 0, acc.length);
      for (int i = 0; i < rows; i++) {
        final double f = Math.exp(logs[r][i]);
        for (int j = 0; j < dv; j++) {
          acc[i * dv + j] = f * acc[i * dv + j] + states[r][i * dv + j];
        }
      }
    }
    return out;
  }
}
