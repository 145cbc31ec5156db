package io.seqpar.collectives;

import io.seqpar.tensor.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Zeroes a prefix of a segment without creating a slice ({@code asSlice(..).fill(0)} allocates a
 * segment object wherever escape analysis gives up, which the hot-path allocation test catches).
 */
public final class Zero {
  private static final int BLOCK = 64 * 1024;
  private static final MemorySegment ZEROS = Arena.global().allocate(BLOCK, 64);

  /**
   * The C library's {@code memset} for off-heap prefixes of at least {@link #BLOCK}: a cold 4 MiB
   * segment took 70–79 µs against 117–149 µs with {@link MemorySegment#fill} (12 segments in
   * rotation, this host, 2026-11-24). A critical downcall: no thread-state transition, no
   * allocation.
   */
  private static final MethodHandle MEMSET =
      Libc.downcall(
          "memset",
          FunctionDescriptor.of(
              ValueLayout.ADDRESS,
              ValueLayout.ADDRESS,
              ValueLayout.JAVA_INT,
              ValueLayout.JAVA_LONG),
          Linker.Option.critical(false));

  private Zero() {}

  /**
   * Sets {@code segment[0, bytes)} to zero: by {@code memset} where the segment is off-heap and the
   * prefix at least 64 KiB, else by {@link MemorySegment#fill} for the whole segment and by copies
   * from a zero block for a shorter prefix.
   */
  public static void fill(final MemorySegment segment, final long bytes) {
    if (bytes < 0 || bytes > segment.byteSize()) {
      throw new IndexOutOfBoundsException(
          "zero: " + bytes + " bytes of a " + segment.byteSize() + "-byte segment");
    }
    if (MEMSET != null && bytes >= BLOCK && segment.isNative()) {
      memset(segment, bytes);
      return;
    }
    if (bytes == segment.byteSize()) {
      segment.fill((byte) 0);
      return;
    }
    for (long off = 0; off < bytes; off += BLOCK) {
      MemorySegment.copy(ZEROS, 0, segment, off, Math.min(BLOCK, bytes - off));
    }
  }

  private static void memset(final MemorySegment segment, final long bytes) {
    try {
      final MemorySegment ignored = (MemorySegment) MEMSET.invokeExact(segment, 0, bytes);
    } catch (final Throwable t) {
      throw new IllegalStateException("memset failed", t);
    }
  }
}
