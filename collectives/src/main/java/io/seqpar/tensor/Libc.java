package io.seqpar.tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * The few Linux C-library calls the runtime makes through the FFM linker (futex, {@code
 * process_vm_readv}, {@code mmap}/{@code madvise}), and files mapped shared between the processes
 * of one host. Callers fall back to portable behaviour where a handle is null.
 */
public final class Libc {
  private Libc() {}

  /** Whether this JVM runs on Linux, the only platform these calls are made on. */
  private static boolean isLinux() {
    return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
  }

  /**
   * A downcall handle to the C library's {@code name}, or null when not on Linux or the symbol is
   * missing.
   */
  public static MethodHandle downcall(
      final String name, final FunctionDescriptor descriptor, final Linker.Option... options) {
    if (!isLinux()) {
      return null;
    }
    try {
      final Linker linker = Linker.nativeLinker();
      return linker
          .defaultLookup()
          .find(name)
          .map(fn -> linker.downcallHandle(fn, descriptor, options))
          .orElse(null);
    } catch (final RuntimeException e) {
      return null;
    }
  }

  /**
   * Maps {@code bytes} of {@code file} (created if missing, zero-filled when grown) read-write and
   * shared, so every process that maps it sees the same memory; unmapped when {@code arena} closes.
   */
  public static MemorySegment mapShared(final Path file, final long bytes, final Arena arena)
      throws IOException {
    try (FileChannel ch =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      return ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
    }
  }
}
