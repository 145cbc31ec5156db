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

  /**
   * Sets {@code segment[0, bytes)} to zero. The whole segment is filled in place ({@link
   * MemorySegment#fill}: a cold 4 MiB window took 469–543 µs against 529–733 µs copied from a zero
   * block, alternating, docs/perf/collectives-2026-11-23-pipeline/notes.txt); a prefix is copied
   * from the zero block.
   */
  public static void fill(final MemorySegment segment, final long bytes) {
    if (bytes == segment.byteSize()) {
      segment.fill((byte) 0);
      return;
    }
    for (long off = 0; off < bytes; off += BLOCK) {
      MemorySegment.copy(ZEROS, 0, segment, off, Math.min(BLOCK, bytes - off));
    }
  }
}
