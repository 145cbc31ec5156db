package io.seqpar.worker.kernel;

import io.seqpar.collectives.ScanOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code exp(x)} for float vectors with {@code x ≤ 0}, built only from operations the JIT turns
 * into single instructions. The Vector API's {@code lanewise(EXP)} is not intrinsified on every x86
 * build and then falls back to a per-lane path ~10× slower, which dominated GLA kernels.
 *
 * <p>Cephes {@code expf}: {@code x = n·ln2 + r} with {@code n = round(x·log2 e)} (by the 1.5·2²³
 * magic-number trick), {@code r} in {@code [−ln2/2, ln2/2]} via a two-part ln2 (exact product),
 * {@code e^r} by a degree-6 polynomial, times {@code 2^n} assembled in the exponent bits. Maximum
 * relative error ~2 ulp (tested against {@link Math#exp}). Arguments below {@link
 * ScanOperator#LOG_DECAY_FLOOR} give exactly 0 (no subnormals); arguments must not be positive.
 */
final class VectorExp {
  private static final VectorSpecies<Float> S = Gemm.SPECIES;
  private static final float LOG2E = 1.44269504088896341f;
  private static final float MAGIC = 12582912f; // 1.5 * 2^23: adding it rounds to an integer
  private static final int MAGIC_BITS = 0x4B400000;
  private static final float LN2_HI = 0.693359375f;
  private static final float LN2_LO = -2.12194440e-4f;
  private static final float P0 = 1.9875691500e-4f;
  private static final float P1 = 1.3981999507e-3f;
  private static final float P2 = 8.3334519073e-3f;
  private static final float P3 = 4.1665795894e-2f;
  private static final float P4 = 1.6666665459e-1f;
  private static final float P5 = 5.0000001201e-1f;

  private VectorExp() {}

  /** {@code exp(x)} per lane for {@code x ≤ 0}; exactly 0 below the floor. */
  static FloatVector expNonPositive(final FloatVector x) {
    final var underflow = x.compare(VectorOperators.LT, ScanOperator.LOG_DECAY_FLOOR);
    final FloatVector xc = x.max(ScanOperator.LOG_DECAY_FLOOR);
    final FloatVector big =
        xc.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, MAGIC));
    final FloatVector n = big.sub(MAGIC); // round(x·log2 e), in [-126, 0]
    final IntVector ni = big.reinterpretAsInts().sub(MAGIC_BITS);
    FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), xc);
    r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
    final FloatVector r2 = r.mul(r);
    FloatVector p = r.fma(FloatVector.broadcast(S, P0), FloatVector.broadcast(S, P1));
    p = p.fma(r, FloatVector.broadcast(S, P2));
    p = p.fma(r, FloatVector.broadcast(S, P3));
    p = p.fma(r, FloatVector.broadcast(S, P4));
    p = p.fma(r, FloatVector.broadcast(S, P5));
    p = p.fma(r2, r.add(1f)); // 1 + r + r²·P(r)
    final FloatVector scale = ni.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    return p.mul(scale).blend(0f, underflow);
  }
}
