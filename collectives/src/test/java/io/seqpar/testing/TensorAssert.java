package io.seqpar.testing;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Numeric assertions that fail loudly with evidence (llm.c's {@code check_tensor}): the max
 * absolute error, the relative Frobenius error, the first index out of tolerance with both values,
 * and the tolerance used. A NaN or infinity in the candidate always fails.
 */
public final class TensorAssert {
  private TensorAssert() {}

  /** Asserts {@code actual} matches {@code expected} within {@code tol}. */
  public static void assertClose(
      final String name, final double[] expected, final float[] actual, final Tolerance tol) {
    final double[] a = new double[actual.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = actual[i];
    }
    assertClose(name, expected, a, tol);
  }

  /** Asserts {@code actual} matches {@code expected} within {@code tol}. */
  public static void assertClose(
      final String name, final float[] expected, final float[] actual, final Tolerance tol) {
    final double[] e = new double[expected.length];
    for (int i = 0; i < e.length; i++) {
      e[i] = expected[i];
    }
    assertClose(name, e, actual, tol);
  }

  /** Asserts {@code actual} matches {@code expected} within {@code tol}. */
  public static void assertClose(
      final String name, final double[] expected, final double[] actual, final Tolerance tol) {
    final Report r = compare(expected, actual, tol);
    if (!r.ok) {
      fail(name + ": " + r);
    }
  }

  /** Compares without failing (for tests that report several tensors). */
  public static Report compare(
      final double[] expected, final double[] actual, final Tolerance tol) {
    if (expected.length != actual.length) {
      return new Report(
          false,
          Double.NaN,
          Double.NaN,
          -1,
          0,
          0,
          tol,
          "length " + actual.length + ", expected " + expected.length);
    }
    double maxAbs = 0;
    double diff2 = 0;
    double ref2 = 0;
    int firstBad = -1;
    for (int i = 0; i < expected.length; i++) {
      final double d = actual[i] - expected[i];
      if (!Double.isFinite(actual[i])) {
        if (firstBad < 0) {
          firstBad = i;
        }
        maxAbs = Double.POSITIVE_INFINITY;
        continue;
      }
      maxAbs = Math.max(maxAbs, Math.abs(d));
      diff2 += d * d;
      ref2 += expected[i] * expected[i];
      if (firstBad < 0 && Math.abs(d) > tol.maxAbs()) {
        firstBad = i;
      }
    }
    final double relFro = ref2 == 0 ? (diff2 == 0 ? 0 : Double.NaN) : Math.sqrt(diff2 / ref2);
    final boolean relOk = ref2 == 0 || relFro <= tol.relFro();
    final boolean absOk = maxAbs <= tol.maxAbs();
    final boolean ok = relOk && absOk && firstBad < 0;
    final double e = firstBad >= 0 ? expected[firstBad] : 0;
    final double a = firstBad >= 0 ? actual[firstBad] : 0;
    return new Report(ok, maxAbs, relFro, firstBad, e, a, tol, null);
  }

  /** The outcome of a comparison. */
  public record Report(
      boolean ok,
      double maxAbs,
      double relFro,
      int firstBad,
      double expectedAtBad,
      double actualAtBad,
      Tolerance tol,
      String problem) {
    @Override
    public String toString() {
      if (problem != null) {
        return problem;
      }
      return String.format(
          "max_abs=%.3e (tol %.3e) rel_fro=%.3e (tol %.3e)%s",
          maxAbs,
          tol.maxAbs(),
          relFro,
          tol.relFro(),
          firstBad < 0
              ? ""
              : String.format(
                  " first bad index %d: expected %.9g, got %.9g",
                  firstBad, expectedAtBad, actualAtBad));
    }
  }
}
