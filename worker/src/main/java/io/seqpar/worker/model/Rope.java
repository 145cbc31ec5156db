package io.seqpar.worker.model;

import static io.seqpar.worker.model.VecMath.F;

import java.lang.foreign.MemorySegment;

/**
 * Rotary position embedding (rotate-half form) for the softmax layers of a hybrid model, on global
 * token positions: for pair {@code (x_i, x_{i+d/2})}, {@code θ_i = 10000^(−2i/d)},
 *
 * <pre>
 *   y_i       = x_i cos(pθ_i) − x_{i+d/2} sin(pθ_i)
 *   y_{i+d/2} = x_i sin(pθ_i) + x_{i+d/2} cos(pθ_i)
 * </pre>
 *
 * A rotation, so its backward is the inverse rotation (sin → −sin). Each rank builds the table for
 * the global positions of its own rows once; {@link #apply} allocates nothing.
 */
public final class Rope {
  /** The base of the frequencies. */
  public static final double BASE = 10_000.0;

  private final int len;
  private final int half;
  private final float[] cos; // [len, d/2]
  private final float[] sin;

  /**
   * @param positions global position of each local row
   * @param d head dim (even)
   */
  public Rope(final int[] positions, final int d) {
    if (d % 2 != 0) {
      throw new IllegalArgumentException("RoPE needs an even head dim, got " + d);
    }
    this.len = positions.length;
    this.half = d / 2;
    cos = new float[len * half];
    sin = new float[len * half];
    for (int r = 0; r < len; r++) {
      for (int i = 0; i < half; i++) {
        final double angle = positions[r] * Math.pow(BASE, -2.0 * i / d);
        cos[r * half + i] = (float) Math.cos(angle);
        sin[r * half + i] = (float) Math.sin(angle);
      }
    }
  }

  /**
   * Rotates {@code x [heads, len, d]} in place; {@code inverse} applies the transpose (backward).
   */
  public void apply(final MemorySegment x, final int heads, final boolean inverse) {
    final int d = 2 * half;
    final float sign = inverse ? -1f : 1f;
    for (int h = 0; h < heads; h++) {
      for (int r = 0; r < len; r++) {
        final long row = ((long) h * len + r) * d; // x[h, r, :]
        for (int i = 0; i < half; i++) {
          final float c = cos[r * half + i];
          final float s = sign * sin[r * half + i];
          final float a = x.getAtIndex(F, row + i);
          final float b = x.getAtIndex(F, row + i + half);
          x.setAtIndex(F, row + i, a * c - b * s);
          x.setAtIndex(F, row + i + half, a * s + b * c);
        }
      }
    }
  }
}
