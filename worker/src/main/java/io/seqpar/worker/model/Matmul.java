package io.seqpar.worker.model;

import static io.seqpar.worker.model.VecMath.F;

import java.lang.foreign.MemorySegment;

/**
 * The linear layer {@code out = inp Wᵀ + bias} with weights stored {@code [outDim, inDim]} (the
 * PyTorch {@code nn.Linear} layout, so safetensors files map one to one; the math in docs/MODEL.md
 * writes {@code h W} with {@code W = weightᵀ}). All tensors are contiguous row-major; offsets are
 * in floats, so per-head weight row blocks and per-sequence rows are addressed without copies.
 *
 * <p>Backward: {@code dinp += dout W}, {@code dW += doutᵀ inp}, {@code dbias += Σ_rows dout}. Every
 * gradient is accumulated ({@code +=}).
 */
final class Matmul {
  /** Rows between two polls of a backward's listener. */
  static final int POLL_ROWS = 64;

  private Matmul() {}

  /**
   * @param out {@code [rows, outDim]} at {@code outOff}; {@code =}, or {@code +=} if accumulate
   * @param inp {@code [rows, inDim]} at {@code inOff}
   * @param w {@code [outDim, inDim]} at {@code wOff}
   * @param bias {@code [outDim]} at {@code biasOff}, or null
   */
  static void forward(
      final MemorySegment out,
      final long outOff,
      final MemorySegment inp,
      final long inOff,
      final MemorySegment w,
      final long wOff,
      final MemorySegment bias,
      final long biasOff,
      final int rows,
      final int inDim,
      final int outDim,
      final boolean accumulate) {
    for (int r = 0; r < rows; r++) {
      final long inRow = inOff + (long) r * inDim; // inp[r, :]
      final long outRow = outOff + (long) r * outDim; // out[r, :]
      for (int o = 0; o < outDim; o++) {
        float s = VecMath.dot(inp, inRow, w, wOff + (long) o * inDim, inDim);
        if (bias != null) {
          s += bias.getAtIndex(F, biasOff + o);
        }
        if (accumulate) {
          s += out.getAtIndex(F, outRow + o);
        }
        out.setAtIndex(F, outRow + o, s);
      }
    }
  }

  /**
   * @param dinp {@code [rows, inDim]} (+=), or null when the input needs no gradient
   * @param dw {@code [outDim, inDim]} (+=)
   * @param dbias {@code [outDim]} (+=), or null
   * @param dout {@code [rows, outDim]}
   * @param inp {@code [rows, inDim]} the forward input
   * @param w {@code [outDim, inDim]} the forward weight
   */
  static void backward(
      final MemorySegment dinp,
      final long dinOff,
      final MemorySegment dw,
      final long dwOff,
      final MemorySegment dbias,
      final long dbiasOff,
      final MemorySegment dout,
      final long doutOff,
      final MemorySegment inp,
      final long inOff,
      final MemorySegment w,
      final long wOff,
      final int rows,
      final int inDim,
      final int outDim) {
    backward(
        dinp,
        dinOff,
        dw,
        dwOff,
        dbias,
        dbiasOff,
        dout,
        doutOff,
        inp,
        inOff,
        w,
        wOff,
        rows,
        inDim,
        outDim,
        BackwardListener.NONE);
  }

  /** As above, calling {@code progress.poll()} every {@link #POLL_ROWS} rows. */
  static void backward(
      final MemorySegment dinp,
      final long dinOff,
      final MemorySegment dw,
      final long dwOff,
      final MemorySegment dbias,
      final long dbiasOff,
      final MemorySegment dout,
      final long doutOff,
      final MemorySegment inp,
      final long inOff,
      final MemorySegment w,
      final long wOff,
      final int rows,
      final int inDim,
      final int outDim,
      final BackwardListener progress) {
    // dinp[r, :] += Σ_o dout[r, o] · w[o, :]
    if (dinp != null) {
      for (int r = 0; r < rows; r++) {
        final long doutRow = doutOff + (long) r * outDim;
        final long dinRow = dinOff + (long) r * inDim;
        for (int o = 0; o < outDim; o++) {
          final float d = dout.getAtIndex(F, doutRow + o);
          if (d != 0f) {
            VecMath.axpy(dinp, dinRow, d, w, wOff + (long) o * inDim, inDim);
          }
        }
        if (r % POLL_ROWS == POLL_ROWS - 1) {
          progress.poll();
        }
      }
    }
    // dw[o, :] += Σ_r dout[r, o] · inp[r, :];  dbias[o] += Σ_r dout[r, o]
    for (int r = 0; r < rows; r++) {
      final long doutRow = doutOff + (long) r * outDim;
      final long inRow = inOff + (long) r * inDim;
      for (int o = 0; o < outDim; o++) {
        final float d = dout.getAtIndex(F, doutRow + o);
        if (d != 0f) {
          VecMath.axpy(dw, dwOff + (long) o * inDim, d, inp, inRow, inDim);
        }
      }
      if (r % POLL_ROWS == POLL_ROWS - 1) {
        progress.poll();
      }
    }
    if (dbias != null) {
      for (int o = 0; o < outDim; o++) {
        float s = 0f;
        for (int r = 0; r < rows; r++) {
          s += dout.getAtIndex(F, doutOff + (long) r * outDim + o);
        }
        dbias.setAtIndex(F, dbiasOff + o, dbias.getAtIndex(F, dbiasOff + o) + s);
      }
    }
  }
}
