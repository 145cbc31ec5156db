package io.seqpar.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class LargePagesTest {
  @Test
  void largeBuffersAreZeroedHugePageAlignedAndFreedWithTheirArena() {
    final long bytes = 3 * LargePages.MIN_BYTES + 12;
    final MemorySegment s;
    try (Arena arena = Arena.ofConfined()) {
      s = LargePages.allocate(arena, bytes, 64);
      assertEquals(bytes, s.byteSize());
      if (LargePages.available()) {
        assertEquals(0, s.address() % LargePages.HUGE_PAGE, "starts on a huge page");
      }
      for (long i = 0; i < bytes; i += 4093) {
        assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i), "zeroed at " + i);
      }
      s.fill((byte) 7);
      assertEquals(7, s.get(ValueLayout.JAVA_BYTE, bytes - 1));
    }
    assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
  }

  @Test
  void smallBuffersComeFromTheArenaWithTheirAlignment() {
    try (Arena arena = Arena.ofConfined()) {
      final MemorySegment s = LargePages.allocate(arena, 1000, 128);
      assertEquals(1000, s.byteSize());
      assertEquals(0, s.address() % 128);
      assertTrue(
          s.elements(ValueLayout.JAVA_BYTE).allMatch(b -> b.get(ValueLayout.JAVA_BYTE, 0) == 0));
    }
  }
}
