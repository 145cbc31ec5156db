package io.seqpar.collectives;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The associative operator of sequence-parallel linear attention on (log-decay, state) pairs
 * (algorithms.md §2.1):
 *
 * <pre>
 *   (G_a, S_a) ∘ (G_b, S_b) = (G_a + G_b,  diag(exp(G_b)) · S_a + S_b)      "a, then b"
 *   identity                = (0, 0)
 * </pre>
 *
 * G is a log-decay vector {@code [heads, dk]} (log Γ; 0 for plain attention), S a state {@code
 * [heads, dk, dv]}, both float32, row-major. The operator is associative but not commutative.
 * Because the decay is diagonal, each row (key dim) of S evolves on its own, so the operator can be
 * applied to any row range {@code [rowFrom, rowTo)} independently — the basis of All-Scan's block
 * pipeline.
 *
 * <p>Decays stay in log space; a factor {@code exp(G)} with {@code G < -87} is flushed to exact
 * zero so float32 never enters subnormal slow paths (algorithms.md §6.4).
 */
public final class ScanOperator {
  /** Below this log-decay the decay factor is exactly 0 (e^-87 is near float32's normal floor). */
  public static final float LOG_DECAY_FLOOR = -87f;

  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  // Byte offsets of combineRows need not be multiples of 4 (the vector loads never required it).
  private static final ValueLayout.OfFloat F_ANY = ValueLayout.JAVA_FLOAT_UNALIGNED;
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

  private ScanOperator() {}

  /**
   * {@code exp(logDecay)}, flushed to 0 below {@link #LOG_DECAY_FLOOR}; never exp of a positive.
   */
  public static float decayFactor(final float logDecay) {
    if (logDecay > 0f) {
      throw new IllegalArgumentException("log-decay must be <= 0, got " + logDecay);
    }
    return logDecay < LOG_DECAY_FLOOR ? 0f : (float) Math.exp(logDecay);
  }

  /** Sets a pair to the identity (0, 0). */
  public static void identity(final MemorySegment logDecay, final MemorySegment state) {
    logDecay.fill((byte) 0);
    state.fill((byte) 0);
  }

  /**
   * {@code out = a ∘ b} on rows {@code [rowFrom, rowTo)} of every head. {@code out} may alias
   * {@code a} or {@code b}. Any of the log segments may be null, meaning "no decay" (all zeros);
   * {@code outLog} null skips the log update.
   */
  public static void combine(
      final MemorySegment aLog,
      final MemorySegment aState,
      final MemorySegment bLog,
      final MemorySegment bState,
      final MemorySegment outLog,
      final MemorySegment outState,
      final int heads,
      final int dk,
      final int dv,
      final int rowFrom,
      final int rowTo) {
    for (int h = 0; h < heads; h++) {
      for (int i = rowFrom; i < rowTo; i++) {
        final long g = (long) h * dk + i;
        final float ga = aLog == null ? 0f : aLog.getAtIndex(F, g);
        final float gb = bLog == null ? 0f : bLog.getAtIndex(F, g);
        final float f = decayFactor(gb);
        scaleAdd(f, aState, bState, outState, g * dv, dv);
        if (outLog != null) {
          outLog.setAtIndex(F, g, ga + gb);
        }
      }
    }
  }

  /** {@code out = a ∘ b} over all rows. */
  public static void combine(
      final MemorySegment aLog,
      final MemorySegment aState,
      final MemorySegment bLog,
      final MemorySegment bState,
      final MemorySegment outLog,
      final MemorySegment outState,
      final int heads,
      final int dk,
      final int dv) {
    combine(aLog, aState, bLog, bState, outLog, outState, heads, dk, dv, 0, dk);
  }

  /**
   * {@code out = (X, 0) ∘ (log Γ, S)}, i.e. {@code out[r] = exp(log Γ[r]) · X[r] + S[r]}, on {@code
   * rows} rows of {@code dv} floats where every operand starts at its own byte offset (the receiver
   * of an All-Scan hop combining straight out of the sender's memory, {@code Communicator}). Rounds
   * exactly as {@link #combine} does.
   */
  public static void combineRows(
      final MemorySegment log,
      final long logOffset,
      final MemorySegment x,
      final long xOffset,
      final MemorySegment s,
      final long sOffset,
      final MemorySegment out,
      final long outOffset,
      final int rows,
      final int dv) {
    final long rowBytes = (long) dv * Float.BYTES;
    for (int r = 0; r < rows; r++) {
      final float f = decayFactor(log.get(F_ANY, logOffset + (long) r * Float.BYTES));
      final long at = r * rowBytes;
      scaleAdd(f, x, xOffset + at, s, sOffset + at, out, outOffset + at, dv);
    }
  }

  /**
   * {@code out[row + j] = f * a[row + j] + b[row + j]} for {@code j < n}: SIMD lanes for the bulk
   * (a 4 MiB combine took 560–650 µs element by element, C2 did not vectorise the three segment
   * accesses), multiply then add — not a fused multiply-add — so every element rounds exactly as
   * the scalar expression does.
   */
  private static void scaleAdd(
      final float f,
      final MemorySegment a,
      final MemorySegment b,
      final MemorySegment out,
      final long row,
      final int n) {
    final long at = row * Float.BYTES;
    scaleAdd(f, a, at, b, at, out, at, n);
  }

  /** As above with a byte offset per operand. */
  private static void scaleAdd(
      final float f,
      final MemorySegment a,
      final long aOffset,
      final MemorySegment b,
      final long bOffset,
      final MemorySegment out,
      final long outOffset,
      final int n) {
    final FloatVector vf = FloatVector.broadcast(S, f);
    final int bound = S.loopBound(n);
    int j = 0;
    for (; j < bound; j += S.length()) {
      final long off = (long) j * Float.BYTES;
      final FloatVector va = FloatVector.fromMemorySegment(S, a, aOffset + off, NATIVE);
      final FloatVector vb = FloatVector.fromMemorySegment(S, b, bOffset + off, NATIVE);
      va.mul(vf).add(vb).intoMemorySegment(out, outOffset + off, NATIVE);
    }
    for (; j < n; j++) {
      final long off = (long) j * Float.BYTES;
      out.set(
          F_ANY, outOffset + off, f * a.get(F_ANY, aOffset + off) + b.get(F_ANY, bOffset + off));
    }
  }
}
