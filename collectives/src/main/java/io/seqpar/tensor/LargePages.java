package io.seqpar.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Off-heap buffers of 256 KiB and more on transparent huge pages: an anonymous {@code mmap} aligned
 * to 2 MiB and {@code madvise(MADV_HUGEPAGE)} before its first touch, so the kernel backs it with 2
 * MiB pages when it can (it must allow it: {@code /sys/kernel/mm/transparent_hugepage/enabled} at
 * {@code madvise} or {@code always}).
 *
 * <p>Why: a large state or KV block is walked page by page by the TLB and, when a peer process
 * copies it with {@code process_vm_readv} (single copy), by the kernel's page pinning; with the
 * source on huge pages a 4 MiB copy between two JVMs here took 219–228 µs instead of 430–464 µs.
 * Smaller buffers, other platforms, or a failed {@code mmap} fall back to {@code arena.allocate}.
 * Memory is zeroed either way, and is unmapped when {@code arena} is closed (or, for an automatic
 * arena, collected).
 */
public final class LargePages {
  /** Size of a transparent huge page on x86-64 and aarch64 with 4 KiB base pages. */
  public static final long HUGE_PAGE = 2L << 20;

  /**
   * Buffers from this size are mapped on huge pages. A 256 KiB buffer then occupies a whole 2 MiB
   * page once touched; the runtime has few such buffers (arenas, per-collective scratch), and at
   * 256 KiB per rank P = 2 All-Scan took 32–35 µs instead of 48–158 µs (AllGather 54–61 against
   * 76–87, AllReduce 81–98 against 124–129).
   */
  public static final long MIN_BYTES = 256L << 10;

  private static final int PROT_READ_WRITE = 0x3;
  private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
  private static final int MADV_HUGEPAGE = 14;

  private static final MethodHandle MMAP =
      Libc.downcall(
          "mmap",
          FunctionDescriptor.of(
              ValueLayout.JAVA_LONG,
              ValueLayout.JAVA_LONG,
              ValueLayout.JAVA_LONG,
              ValueLayout.JAVA_INT,
              ValueLayout.JAVA_INT,
              ValueLayout.JAVA_INT,
              ValueLayout.JAVA_LONG));
  private static final MethodHandle MUNMAP =
      Libc.downcall(
          "munmap",
          FunctionDescriptor.of(
              ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
  private static final MethodHandle MADVISE =
      Libc.downcall(
          "madvise",
          FunctionDescriptor.of(
              ValueLayout.JAVA_INT,
              ValueLayout.JAVA_LONG,
              ValueLayout.JAVA_LONG,
              ValueLayout.JAVA_INT));

  private LargePages() {}

  /** Whether buffers can be mapped on huge pages here (Linux). */
  public static boolean available() {
    return MMAP != null;
  }

  /**
   * A zeroed buffer of {@code bytes}, aligned to at least {@code alignment} (≤ 2 MiB), on huge
   * pages when it is at least {@link #MIN_BYTES}; freed with {@code arena}.
   */
  public static MemorySegment allocate(final Arena arena, final long bytes, final long alignment) {
    if (bytes < MIN_BYTES
        || MMAP == null
        || MUNMAP == null
        || MADVISE == null
        || alignment > HUGE_PAGE) {
      return arena.allocate(bytes, alignment);
    }
    final long length = roundUp(bytes, HUGE_PAGE) + HUGE_PAGE; // room to align the start
    final long base;
    try {
      base = (long) MMAP.invokeExact(0L, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
    } catch (final Throwable t) {
      throw new IllegalStateException("mmap failed", t);
    }
    if (base == -1L) {
      return arena.allocate(bytes, alignment); // MAP_FAILED: let the arena try (and report)
    }
    final long aligned = roundUp(base, HUGE_PAGE);
    try {
      final int ignored =
          (int) MADVISE.invokeExact(aligned, roundUp(bytes, HUGE_PAGE), MADV_HUGEPAGE);
    } catch (final Throwable t) {
      unmap(base, length);
      throw new IllegalStateException("madvise failed", t);
    }
    return MemorySegment.ofAddress(aligned).reinterpret(bytes, arena, s -> unmap(base, length));
  }

  private static void unmap(final long base, final long length) {
    try {
      final int ignored = (int) MUNMAP.invokeExact(base, length);
    } catch (final Throwable t) {
      throw new IllegalStateException("munmap failed", t);
    }
  }

  private static long roundUp(final long v, final long to) {
    return (v + to - 1) & -to;
  }
}
