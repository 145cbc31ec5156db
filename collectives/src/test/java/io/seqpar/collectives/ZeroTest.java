package io.seqpar.collectives;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** {@link Zero#fill}: exactly the prefix asked for, whole segments and odd lengths alike. */
class ZeroTest {
  @Test
  void zeroesTheWholeSegmentOrExactlyThePrefix() {
    for (final long size : new long[] {1, 63, 64 * 1024, 64 * 1024 + 5, 3L << 20}) {
      for (final long prefix : new long[] {0, 1, size / 2, size - 1, size}) {
        final MemorySegment s = Arena.ofAuto().allocate(size, 64);
        s.fill((byte) 7);
        Zero.fill(s, prefix);
        for (long i = 0; i < size; i++) {
          assertEquals(
              i < prefix ? 0 : 7,
              s.get(ValueLayout.JAVA_BYTE, i),
              "size " + size + ", prefix " + prefix + ", byte " + i);
        }
      }
    }
  }
}
