package io.seqpar.collectives.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CompilerQuietTest {
  @Test
  void readsTheCompilerThreadsCpuTimeAndReturnsOnceTheyAreQuiet() {
    if (Files.isDirectory(Path.of("/proc/self/task"))) {
      // By the time a test runs, the JIT has compiled something.
      assertTrue(CompilerQuiet.compilerCpuNs() > 0, "compiler threads' CPU time");
    }
    final long waited = CompilerQuiet.await();
    assertTrue(waited >= 2 * CompilerQuiet.SAMPLE_NS, "two quiet samples at least: " + waited);
    assertTrue(waited < CompilerQuiet.MAX_WAIT_NS + 1_000_000_000L, "bounded: " + waited);
  }
}
