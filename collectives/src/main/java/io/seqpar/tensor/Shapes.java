package io.seqpar.tensor;

import java.util.Arrays;

/** Arithmetic on row-major shapes. */
public final class Shapes {
  private Shapes() {}

  /** Product of the dimensions (1 for a scalar); throws if it overflows a long. */
  public static long count(final int[] shape) {
    long n = 1;
    for (final int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** Shape as numpy prints it: {@code [2, 3, 4]}. */
  public static String format(final int[] shape) {
    return Arrays.toString(shape);
  }
}
