package io.seqpar.worker.model;

import static io.seqpar.worker.model.VecMath.F;

import java.lang.foreign.MemorySegment;

/**
 * Per-head output RMSNorm with one weight {@code [dv]} shared by all heads (as FLA's {@code
 * g_norm}), which also moves the attention output from the kernel's head-major layout {@code [B, H,
 * L, dv]} to the token-major layout {@code [B, L, H·dv]} that the output projection reads. The math
 * per (b, h, t) row is {@link RmsNorm}'s.
 */
final class HeadRmsNorm {
  private HeadRmsNorm() {}

  /**
   * @param out {@code [B, L, H·dv]} (=)
   * @param rstd {@code [B, H, L]} (=)
   * @param inp {@code [B, H, L, dv]} attention output
   * @param w {@code [dv]}
   */
  static void forward(
      final MemorySegment out,
      final MemorySegment rstd,
      final MemorySegment inp,
      final MemorySegment w,
      final int batch,
      final int heads,
      final int len,
      final int dv) {
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < heads; h++) {
        for (int t = 0; t < len; t++) {
          final long bht = ((long) b * heads + h) * len + t; // row of inp, index of rstd
          final long outOff = (((long) b * len + t) * heads + h) * dv; // out[b, t, h·dv]
          rstd.setAtIndex(F, bht, RmsNorm.forwardRow(out, outOff, inp, bht * dv, w, dv));
        }
      }
    }
  }

  /**
   * @param dinp {@code [B, H, L, dv]} (+=)
   * @param dw {@code [dv]} (+=)
   * @param dout {@code [B, L, H·dv]}
   * @param inp {@code [B, H, L, dv]} forward input
   * @param w {@code [dv]}
   * @param rstd {@code [B, H, L]}
   */
  static void backward(
      final MemorySegment dinp,
      final MemorySegment dw,
      final MemorySegment dout,
      final MemorySegment inp,
      final MemorySegment w,
      final MemorySegment rstd,
      final int batch,
      final int heads,
      final int len,
      final int dv) {
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < heads; h++) {
        for (int t = 0; t < len; t++) {
          final long bht = ((long) b * heads + h) * len + t;
          final long outOff = (((long) b * len + t) * heads + h) * dv;
          RmsNorm.backwardRow(
              dinp, bht * dv, dw, dout, outOff, inp, bht * dv, w, rstd.getAtIndex(F, bht), dv);
        }
      }
    }
  }
}
