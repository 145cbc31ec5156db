package io.seqpar.worker.model;

import static io.seqpar.worker.model.VecMath.F;

import java.lang.foreign.MemorySegment;

/**
 * RMSNorm over the last dimension: {@code y = w ⊙ x · rstd}, {@code rstd = 1/sqrt(mean(x²) + ε)}.
 *
 * <p>Backward (algorithms.md §4.2), with {@code u = w ⊙ dy}: {@code dx = rstd · (u − x · rstd² ·
 * mean(u ⊙ x))}, {@code dw = Σ_rows dy ⊙ x · rstd}. Both are accumulated ({@code +=}): dx feeds the
 * residual stream, which sums the gradients of its two uses.
 */
final class RmsNorm {
  private RmsNorm() {}

  /**
   * @param out {@code [rows, n]} (=)
   * @param rstd {@code [rows]} (=), cached for backward
   * @param inp {@code [rows, n]}
   * @param w {@code [n]}
   */
  static void forward(
      final MemorySegment out,
      final MemorySegment rstd,
      final MemorySegment inp,
      final MemorySegment w,
      final int rows,
      final int n) {
    for (int r = 0; r < rows; r++) {
      rstd.setAtIndex(F, r, forwardRow(out, (long) r * n, inp, (long) r * n, w, n));
    }
  }

  /**
   * @param dinp {@code [rows, n]} (+=)
   * @param dw {@code [n]} (+=)
   * @param dout {@code [rows, n]}
   * @param inp {@code [rows, n]} forward input
   * @param w {@code [n]}
   * @param rstd {@code [rows]} from forward
   */
  static void backward(
      final MemorySegment dinp,
      final MemorySegment dw,
      final MemorySegment dout,
      final MemorySegment inp,
      final MemorySegment w,
      final MemorySegment rstd,
      final int rows,
      final int n) {
    for (int r = 0; r < rows; r++) {
      final long row = (long) r * n;
      backwardRow(dinp, row, dw, dout, row, inp, row, w, rstd.getAtIndex(F, r), n);
    }
  }

  /** One row: {@code out[outOff..+n] = w ⊙ x · rstd}; returns rstd. */
  static float forwardRow(
      final MemorySegment out,
      final long outOff,
      final MemorySegment inp,
      final long inOff,
      final MemorySegment w,
      final int n) {
    final float ms = VecMath.dot(inp, inOff, inp, inOff, n) / n;
    final float rs = (float) (1.0 / Math.sqrt(ms + ModelConfig.NORM_EPS));
    for (int i = 0; i < n; i++) {
      out.setAtIndex(F, outOff + i, inp.getAtIndex(F, inOff + i) * rs * w.getAtIndex(F, i));
    }
    return rs;
  }

  /** One row of backward; dinp and dw accumulate. */
  static void backwardRow(
      final MemorySegment dinp,
      final long dinOff,
      final MemorySegment dw,
      final MemorySegment dout,
      final long doutOff,
      final MemorySegment inp,
      final long inOff,
      final MemorySegment w,
      final float rs,
      final int n) {
    // mean(u ⊙ x) with u = w ⊙ dy
    float ux = 0f;
    for (int i = 0; i < n; i++) {
      ux += w.getAtIndex(F, i) * dout.getAtIndex(F, doutOff + i) * inp.getAtIndex(F, inOff + i);
    }
    final float c = ux / n * rs * rs;
    for (int i = 0; i < n; i++) {
      final float dy = dout.getAtIndex(F, doutOff + i);
      final float x = inp.getAtIndex(F, inOff + i);
      // term 1: the direct path w·dy·rstd; term 2: through rstd, −x·rstd³·mean(u⊙x)
      final float dx = rs * (w.getAtIndex(F, i) * dy - x * c);
      dinp.setAtIndex(F, dinOff + i, dinp.getAtIndex(F, dinOff + i) + dx);
      dw.setAtIndex(F, i, dw.getAtIndex(F, i) + dy * x * rs);
    }
  }
}
