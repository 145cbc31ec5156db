package io.seqpar.worker.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised float32 dot and axpy over off-heap rows. Offsets and lengths are in floats, not bytes.
 * Accumulation is float32 (lane-wise partial sums, then the lanes in order, then the scalar tail);
 * the order is fixed, so results are bitwise reproducible on one machine.
 */
final class VecMath {
  static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = S.length();
  private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

  private VecMath() {}

  /** Σ_i a[aOff + i] · b[bOff + i], i < n. */
  static float dot(
      final MemorySegment a, final long aOff, final MemorySegment b, final long bOff, final int n) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    final int up = n - n % LANES;
    for (; i < up; i += LANES) {
      final FloatVector x = FloatVector.fromMemorySegment(S, a, (aOff + i) * 4, NATIVE);
      final FloatVector y = FloatVector.fromMemorySegment(S, b, (bOff + i) * 4, NATIVE);
      acc = x.fma(y, acc);
    }
    // Lanes summed in a fixed order: reduceLanes(ADD) leaves the float order unspecified, and the
    // JIT-compiled and interpreted orders differ, which would break bitwise-reproducible runs.
    float s = 0f;
    for (int l = 0; l < LANES; l++) {
      s += acc.lane(l);
    }
    for (; i < n; i++) {
      s += a.getAtIndex(F, aOff + i) * b.getAtIndex(F, bOff + i);
    }
    return s;
  }

  /** y[yOff + i] += alpha · x[xOff + i], i < n. */
  static void axpy(
      final MemorySegment y,
      final long yOff,
      final float alpha,
      final MemorySegment x,
      final long xOff,
      final int n) {
    final FloatVector va = FloatVector.broadcast(S, alpha);
    int i = 0;
    final int up = n - n % LANES;
    for (; i < up; i += LANES) {
      final FloatVector xv = FloatVector.fromMemorySegment(S, x, (xOff + i) * 4, NATIVE);
      final FloatVector yv = FloatVector.fromMemorySegment(S, y, (yOff + i) * 4, NATIVE);
      xv.fma(va, yv).intoMemorySegment(y, (yOff + i) * 4, NATIVE);
    }
    for (; i < n; i++) {
      y.setAtIndex(F, yOff + i, y.getAtIndex(F, yOff + i) + alpha * x.getAtIndex(F, xOff + i));
    }
  }
}
