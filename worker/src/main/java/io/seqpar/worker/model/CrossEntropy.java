package io.seqpar.worker.model;

import static io.seqpar.worker.model.VecMath.F;

import java.lang.foreign.MemorySegment;

/**
 * Softmax cross-entropy against integer targets, normalised by a global token count so that
 * sequence-parallel ranks can simply sum their losses (algorithms.md §4.1):
 *
 * <pre>
 *   loss = Σ_rows (lse_r − logits[r, target_r]) / tokensGlobal,   lse_r = log Σ_j exp(logits[r, j])
 *   dlogits[r, j] = (softmax(logits_r)_j − [j = target_r]) / tokensGlobal
 * </pre>
 *
 * Backward writes {@code dlogits} over the logits buffer in place (llm.c's fused classifier), so
 * the {@code [rows, V]} buffer is allocated once.
 */
final class CrossEntropy {
  private CrossEntropy() {}

  /**
   * @param lse {@code [rows]} (=) log-sum-exp per row, cached for backward
   * @param logits {@code [rows, V]}
   * @param targets {@code [rows]} ids in [0, V)
   * @return Σ_rows CE (not yet normalised), accumulated in double
   */
  static double forward(
      final MemorySegment lse,
      final MemorySegment logits,
      final int[] targets,
      final int rows,
      final int vocab) {
    double total = 0;
    for (int r = 0; r < rows; r++) {
      final long row = (long) r * vocab;
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < vocab; j++) {
        max = Math.max(max, logits.getAtIndex(F, row + j));
      }
      float sum = 0f;
      for (int j = 0; j < vocab; j++) {
        sum += (float) Math.exp(logits.getAtIndex(F, row + j) - max);
      }
      final float l = max + (float) Math.log(sum);
      lse.setAtIndex(F, r, l);
      total += l - logits.getAtIndex(F, row + targets[r]);
    }
    return total;
  }

  /**
   * @param logits {@code [rows, V]}: in, the forward logits; out, dlogits (=)
   * @param lse {@code [rows]} from forward
   * @param targets {@code [rows]}
   * @param scale {@code 1 / tokensGlobal}
   */
  static void backward(
      final MemorySegment logits,
      final MemorySegment lse,
      final int[] targets,
      final float scale,
      final int rows,
      final int vocab) {
    for (int r = 0; r < rows; r++) {
      final long row = (long) r * vocab;
      final float l = lse.getAtIndex(F, r);
      for (int j = 0; j < vocab; j++) {
        final float p = (float) Math.exp(logits.getAtIndex(F, row + j) - l);
        logits.setAtIndex(F, row + j, (p - (j == targets[r] ? 1f : 0f)) * scale);
      }
    }
  }
}
