package io.seqpar.collectives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Zero#fill}: exactly the prefix asked for, whole segments and odd lengths alike, off-heap
 * (memset from 64 KiB) and on the heap.
 */
class ZeroTest {
  @ParameterizedTest(name = "offHeap={0}")
  @ValueSource(booleans = {true, false})
  void zeroesTheWholeSegmentOrExactlyThePrefix(final boolean offHeap) {
    for (final long size : new long[] {1, 63, 64 * 1024, 64 * 1024 + 5, 3L << 20}) {
      for (final long prefix : new long[] {0, 1, size / 2, size - 1, size}) {
        final MemorySegment s =
            offHeap
                ? Arena.ofAuto().allocate(size, 64)
                : MemorySegment.ofArray(new byte[(int) size]);
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

  @Test
  void rejectsAPrefixBeyondTheSegment() {
    final MemorySegment s = Arena.ofAuto().allocate(128 * 1024, 64);
    final IndexOutOfBoundsException e =
        assertThrows(IndexOutOfBoundsException.class, () -> Zero.fill(s, 128 * 1024 + 1));
    assertEquals("zero: 131073 bytes of a 131072-byte segment", e.getMessage());
  }
}
