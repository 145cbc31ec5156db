package io.seqpar.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The lane sums give the bits of the scalar left-to-right loop, at any offset and length. */
class FloatSumsTest {
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

  @ParameterizedTest(name = "n={0} dstAt={1} srcAt={2}")
  @CsvSource({"0, 0, 0", "1, 3, 0", "7, 0, 5", "16, 1, 1", "1000, 3, 17", "65537, 0, 9"})
  void addIntoMatchesTheScalarLoop(final int n, final int dstAt, final int srcAt) {
    final SplittableRandom rnd = new SplittableRandom(n * 31L + dstAt);
    final MemorySegment dst = random(rnd, dstAt + n + 4);
    final MemorySegment src = random(rnd, srcAt + n);
    final MemorySegment expected = Arena.ofAuto().allocate(dst.byteSize(), 4);
    expected.copyFrom(dst);
    for (int i = 0; i < n; i++) {
      final long d = (long) (dstAt + i) * Float.BYTES;
      expected.set(F, d, expected.get(F, d) + src.get(F, (long) (srcAt + i) * Float.BYTES));
    }
    FloatSums.addInto(dst, dstAt, src, srcAt, n);
    assertBitsEqual(expected, dst);
  }

  @ParameterizedTest(name = "ranks={0} own={1} n={2}")
  @CsvSource({"1, 0, 9", "2, 1, 33", "3, 0, 100", "7, 4, 1031", "8, 7, 4096"})
  void sumInRankOrderMatchesTheScalarLoopInPlace(final int ranks, final int own, final int n) {
    final SplittableRandom rnd = new SplittableRandom(ranks * 1009L + n);
    final int ownAt = 5;
    final long stride = n + 3;
    final MemorySegment data = random(rnd, ownAt + n + 2);
    final MemorySegment slots = random(rnd, (int) (stride * ranks));
    final MemorySegment expected = Arena.ofAuto().allocate(data.byteSize(), 4);
    expected.copyFrom(data);
    for (int i = 0; i < n; i++) {
      float acc = 0;
      for (int q = 0; q < ranks; q++) {
        final float x =
            q == own
                ? data.get(F, (long) (ownAt + i) * Float.BYTES)
                : slots.get(F, (q * stride + i) * Float.BYTES);
        acc = q == 0 ? x : acc + x;
      }
      expected.set(F, (long) (ownAt + i) * Float.BYTES, acc);
    }
    FloatSums.sumInRankOrder(data, ownAt, data, ownAt, own, slots, stride, ranks, n);
    assertBitsEqual(expected, data);
  }

  /** Values of mixed sign over many binades, so a different summation order changes bits. */
  private static MemorySegment random(final SplittableRandom rnd, final int floats) {
    final MemorySegment seg = Arena.ofAuto().allocate((long) floats * Float.BYTES, 4);
    for (int i = 0; i < floats; i++) {
      final float v = (float) ((rnd.nextDouble() - 0.5) * Math.pow(2, rnd.nextInt(-20, 20)));
      seg.set(F, (long) i * Float.BYTES, v);
    }
    return seg;
  }

  private static void assertBitsEqual(final MemorySegment expected, final MemorySegment actual) {
    for (long i = 0; i < expected.byteSize() / Float.BYTES; i++) {
      final int e = Float.floatToRawIntBits(expected.get(F, i * Float.BYTES));
      final int a = Float.floatToRawIntBits(actual.get(F, i * Float.BYTES));
      assertEquals(e, a, "float " + i);
    }
  }
}
