package io.seqpar.deploy.launcher;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds a test's processes anywhere in the process table, even orphans re-parented away from the
 * test JVM: every child of a test carries {@code SEQPAR_RUN_DIR=<the test's temp dir>/...} in its
 * environment, which {@code /proc/<pid>/environ} shows.
 */
final class LeakCheck {
  private LeakCheck() {}

  /** Live pids whose environment mentions {@code needle}. */
  static List<Long> processesWithEnv(final String needle) {
    final List<Long> out = new ArrayList<>();
    final byte[] want = needle.getBytes(StandardCharsets.UTF_8);
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (final Path dir : dirs) {
        try {
          final byte[] env = Files.readAllBytes(dir.resolve("environ"));
          if (indexOf(env, want) >= 0) {
            final long pid = Long.parseLong(dir.getFileName().toString());
            if (pid != ProcessHandle.current().pid()
                && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
              out.add(pid);
            }
          }
        } catch (final IOException | RuntimeException e) {
          // Exited meanwhile, or another user's process: not ours.
        }
      }
    } catch (final IOException e) {
      // No /proc: the descendants() check is all there is.
    }
    return out;
  }

  private static int indexOf(final byte[] hay, final byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /**
   * Waits up to {@code timeoutMs} for the test's processes (descendants, {@code watched} pids and
   * any process whose environment mentions {@code needle}) to be gone; otherwise kills them and
   * fails naming them.
   */
  static void assertNoneLeft(final String needle, final List<Long> watched, final long timeoutMs)
      throws InterruptedException {
    final List<ProcessHandle> left =
        new ArrayList<>(ProcessHandle.current().descendants().toList());
    watched.forEach(pid -> ProcessHandle.of(pid).ifPresent(left::add));
    final boolean gone =
        ProcessGroupTest.waitFor(
            () ->
                left.stream().noneMatch(ProcessHandle::isAlive)
                    && processesWithEnv(needle).isEmpty(),
            timeoutMs);
    if (!gone) {
      final List<Long> alive =
          new ArrayList<>(
              left.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList());
      alive.addAll(processesWithEnv(needle));
      alive.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
      fail("processes left behind: " + alive);
    }
  }
}
