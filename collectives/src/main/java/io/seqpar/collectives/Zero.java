package io.seqpar.collectives;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Zeroes a prefix of a segment without creating a slice ({@code asSlice(..).fill(0)} allocates a
 * segment object wherever escape analysis gives up, which the hot-path allocation test catches).
 */
public final class Zero {
  private static final int BLOCK = 64 * 1024;
  private static final MemorySegment ZEROS = Arena.global().allocate(BLOCK, 64);

  private Zero() {}

  /** Sets {@code segment[0, bytes)} to zero. */
  public static void fill(final MemorySegment segment, final long bytes) {
    for (long off = 0; off < bytes; off += BLOCK) {
      MemorySegment.copy(ZEROS, 0, segment, off, Math.min(BLOCK, bytes - off));
    }
  }
}
