package io.seqpar.testing;

/**
 * How close a candidate tensor must be to its reference, as the oracle defines it: the relative
 * Frobenius error {@code ||cand − ref||_F / ||ref||_F <= relFro} (skipped when the reference is all
 * zeros) and {@code max|cand − ref| <= maxAbs}.
 */
public record Tolerance(double relFro, double maxAbs) {
  /** Both bounds. */
  public static Tolerance of(final double relFro, final double maxAbs) {
    return new Tolerance(relFro, maxAbs);
  }

  /** Relative Frobenius bound only. */
  public static Tolerance relFro(final double relFro) {
    return new Tolerance(relFro, Double.POSITIVE_INFINITY);
  }

  /** Absolute bound only. */
  public static Tolerance maxAbs(final double maxAbs) {
    return new Tolerance(Double.POSITIVE_INFINITY, maxAbs);
  }

  /** Exact equality. */
  public static Tolerance exact() {
    return new Tolerance(0.0, 0.0);
  }
}
