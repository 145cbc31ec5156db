package io.seqpar.collectives.bench;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits, before a timed size, until this JVM's JIT compiler threads have gone quiet. The JIT
 * warm-up calls queue compilations faster than two cores drain them: traced with the kernel's
 * scheduler events (P = 2 All-Scan, 256 KiB, 300 timed calls), the ranks' C2 threads ran 62–105 ms
 * of a 120–150 ms timed window and each rank's main thread spent 59–103 ms of it waiting for a core
 * — the 160 µs "slow regime" whose median is 4× the fast one. Compiled C code (the anchors) has no
 * such backlog, so the bench lets it drain instead of timing it.
 *
 * <p>Quiet means the compiler threads (Linux: {@code /proc/self/task/<tid>/schedstat} of the
 * threads named {@code C1/C2 CompilerThre…}) used less than {@link #QUIET_CPU_NS} in each of two
 * consecutive {@link #SAMPLE_NS} periods; elsewhere the total compilation time must not move. The
 * wait is bounded by {@link #MAX_WAIT_NS}.
 */
final class CompilerQuiet {
  static final long SAMPLE_NS = 50_000_000L;
  static final long QUIET_CPU_NS = 1_000_000L;
  static final long MAX_WAIT_NS = 5_000_000_000L;
  private static final Path TASKS = Path.of("/proc/self/task");

  private CompilerQuiet() {}

  /** Blocks until the compilers are quiet or {@link #MAX_WAIT_NS} passed; returns ns waited. */
  static long await() {
    final long t0 = System.nanoTime();
    final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    final boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
    long last = compilerCpuNs();
    if (last < 0 && !timed) {
      return 0;
    }
    long lastMs = timed ? jit.getTotalCompilationTime() : 0;
    int quiet = 0;
    while (quiet < 2 && System.nanoTime() - t0 < MAX_WAIT_NS) {
      LockSupport.parkNanos(SAMPLE_NS);
      final long now = compilerCpuNs();
      final long nowMs = timed ? jit.getTotalCompilationTime() : 0;
      final boolean still = now >= 0 ? now - last < QUIET_CPU_NS : nowMs == lastMs;
      quiet = still ? quiet + 1 : 0;
      last = now;
      lastMs = nowMs;
    }
    return System.nanoTime() - t0;
  }

  /** CPU time the JIT compiler threads have used so far, or −1 where /proc does not tell. */
  static long compilerCpuNs() {
    if (!Files.isDirectory(TASKS)) {
      return -1;
    }
    long sum = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
      for (final Path task : tasks) {
        try {
          final String name = Files.readString(task.resolve("comm"));
          if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
            final String stat = Files.readString(task.resolve("schedstat"));
            sum += Long.parseLong(stat.substring(0, stat.indexOf(' ')));
          }
        } catch (final IOException | RuntimeException gone) {
          // the thread exited between listing and reading (dynamic compiler thread count)
        }
      }
    } catch (final IOException e) {
      return -1;
    }
    return sum;
  }
}
