package io.seqpar.worker.optim;

/**
 * Global-norm gradient clipping. The norm is computed from a sum of squares the caller provides, so
 * sequence parallelism can all-reduce first: after the gradient all-reduce every rank holds the
 * same summed gradients and gets the same {@code Σ g²} from {@link
 * io.seqpar.worker.model.ParameterSet#gradSumOfSquares()}; with sharded gradients, all-reduce the
 * per-rank sums instead. The factor is then passed to {@link AdamW#step} (no extra pass over the
 * gradients).
 */
public final class GradientClipper {
  private GradientClipper() {}

  /**
   * {@code min(1, maxNorm / (‖g‖ + 1e-6))} with {@code ‖g‖ = sqrt(sumOfSquares)}; 1 when {@code
   * maxNorm ≤ 0} (clipping off).
   */
  public static double scale(final double sumOfSquares, final double maxNorm) {
    if (maxNorm <= 0) {
      return 1.0;
    }
    final double norm = Math.sqrt(sumOfSquares);
    return Math.min(1.0, maxNorm / (norm + 1e-6));
  }
}
