package io.seqpar.worker.model;

import static io.seqpar.worker.model.VecMath.F;

import java.lang.foreign.MemorySegment;

/**
 * Element-wise nonlinearities with their derivatives (algorithms.md §4.2):
 *
 * <pre>
 *   silu(a) = a σ(a)            silu'(a) = σ(a) (1 + a (1 − σ(a)))
 *   logsigmoid(a) = −softplus(−a)   logsigmoid'(a) = 1 − σ(a) = σ(−a)
 * </pre>
 */
final class Activations {
  private Activations() {}

  /** σ(a), computed without overflow for either sign. */
  static float sigmoid(final float a) {
    if (a >= 0) {
      return (float) (1.0 / (1.0 + Math.exp(-a)));
    }
    final double e = Math.exp(a);
    return (float) (e / (1.0 + e));
  }

  /** logsigmoid(a) = min(a, 0) − log1p(exp(−|a|)), stable for large |a|. */
  static float logSigmoid(final float a) {
    return (float) (Math.min(a, 0.0) - Math.log1p(Math.exp(-Math.abs(a))));
  }

  // ------------------------------------------------------------------------------ SwiGLU

  /**
   * {@code m = silu(a1) ⊙ a3}.
   *
   * @param m {@code [n]} (=)
   * @param a1 {@code [n]} gate pre-activation {@code u W1ᵀ}
   * @param a3 {@code [n]} value {@code u W3ᵀ}
   */
  static void swigluForward(
      final MemorySegment m, final MemorySegment a1, final MemorySegment a3, final long n) {
    for (long i = 0; i < n; i++) {
      final float x = a1.getAtIndex(F, i);
      m.setAtIndex(F, i, x * sigmoid(x) * a3.getAtIndex(F, i));
    }
  }

  /**
   * In the forward {@code m = silu(a1) ⊙ a3}, so {@code da1 = dm ⊙ a3 ⊙ silu'(a1)} and {@code da3 =
   * dm ⊙ silu(a1)}.
   *
   * @param da1 {@code [n]} (=)
   * @param da3 {@code [n]} (=)
   * @param dm {@code [n]}
   */
  static void swigluBackward(
      final MemorySegment da1,
      final MemorySegment da3,
      final MemorySegment dm,
      final MemorySegment a1,
      final MemorySegment a3,
      final long n) {
    for (long i = 0; i < n; i++) {
      final float x = a1.getAtIndex(F, i);
      final float s = sigmoid(x);
      final float d = dm.getAtIndex(F, i);
      da1.setAtIndex(F, i, d * a3.getAtIndex(F, i) * s * (1f + x * (1f - s)));
      da3.setAtIndex(F, i, d * x * s);
    }
  }

  // --------------------------------------------------------------------------- GLA gate

  /**
   * {@code g = logsigmoid(a) / τ}, τ = {@link ModelConfig#GATE_TEMPERATURE}; g ≤ 0.
   *
   * @param g {@code [n]} (=) log-gates
   * @param a {@code [n]} pre-activation {@code h Wgᵀ + bg}
   */
  static void gateForward(final MemorySegment g, final MemorySegment a, final long n) {
    final float inv = 1f / ModelConfig.GATE_TEMPERATURE;
    for (long i = 0; i < n; i++) {
      g.setAtIndex(F, i, logSigmoid(a.getAtIndex(F, i)) * inv);
    }
  }

  /**
   * In the forward {@code g = logsigmoid(a)/τ}, so {@code da = dg · σ(−a) / τ}.
   *
   * @param da {@code [n]} (=)
   * @param dg {@code [n]}
   * @param a {@code [n]} cached pre-activation
   */
  static void gateBackward(
      final MemorySegment da, final MemorySegment dg, final MemorySegment a, final long n) {
    final float inv = 1f / ModelConfig.GATE_TEMPERATURE;
    for (long i = 0; i < n; i++) {
      da.setAtIndex(F, i, dg.getAtIndex(F, i) * sigmoid(-a.getAtIndex(F, i)) * inv);
    }
  }
}
