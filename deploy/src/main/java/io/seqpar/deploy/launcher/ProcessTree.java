package io.seqpar.deploy.launcher;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Finds and stops the processes that belong to a set of children: each child, its descendants, and
 * (on Linux) every process still in the child's session. Children are started under {@code setsid},
 * so the child's pid is its session id; scanning {@code /proc/<pid>/stat} for that session also
 * finds grandchildren that were re-parented to init after their parent died, which {@link
 * ProcessHandle#descendants()} cannot see. Java has no {@code kill(-pgid)}; this is its equivalent.
 */
public final class ProcessTree {
  private static final Path PROC = Path.of("/proc");
  private static final long POLL_MS = 50;

  private ProcessTree() {}

  /** Whether {@code /proc/<pid>/stat} can be read here, i.e. session scans work. */
  static boolean procAvailable() {
    return Files.isReadable(PROC.resolve("self").resolve("stat"));
  }

  /**
   * Every live process of these roots: the roots, their descendants and their sessions' members.
   */
  public static List<ProcessHandle> members(final Collection<ProcessHandle> roots) {
    final Map<Long, ProcessHandle> all = new LinkedHashMap<>();
    for (final ProcessHandle root : roots) {
      if (root.isAlive()) {
        all.put(root.pid(), root);
      }
      root.descendants().forEach(d -> all.put(d.pid(), d));
    }
    if (procAvailable()) {
      final java.util.Set<Long> sessions = new java.util.HashSet<>();
      roots.forEach(r -> sessions.add(r.pid()));
      for (final long pid : sessionMembers(sessions)) {
        ProcessHandle.of(pid).ifPresent(h -> all.put(pid, h));
      }
    }
    all.values().removeIf(h -> !h.isAlive() || h.pid() == ProcessHandle.current().pid());
    return new ArrayList<>(all.values());
  }

  /** Pids whose session id is one of {@code sessionIds}, from {@code /proc/<pid>/stat}. */
  static List<Long> sessionMembers(final java.util.Set<Long> sessionIds) {
    final List<Long> out = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, "[0-9]*")) {
      for (final Path dir : dirs) {
        final long sid = sessionOf(dir.resolve("stat"));
        if (sid > 0 && sessionIds.contains(sid) && !isZombie(dir.resolve("stat"))) {
          out.add(Long.parseLong(dir.getFileName().toString()));
        }
      }
    } catch (final IOException e) {
      // /proc unreadable: descendants() is all we have.
    }
    return out;
  }

  /** Field 6 (session) of {@code /proc/<pid>/stat}; the command name may contain spaces or ')'. */
  private static long sessionOf(final Path stat) {
    final String[] f = fieldsAfterComm(stat);
    return f.length > 3 ? Long.parseLong(f[3]) : -1;
  }

  private static boolean isZombie(final Path stat) {
    final String[] f = fieldsAfterComm(stat);
    return f.length > 0 && ("Z".equals(f[0]) || "X".equals(f[0]));
  }

  private static String[] fieldsAfterComm(final Path stat) {
    try {
      final String s = Files.readString(stat);
      final int close = s.lastIndexOf(')');
      return close < 0 ? new String[0] : s.substring(close + 2).trim().split(" ");
    } catch (final IOException | RuntimeException e) {
      return new String[0]; // the process exited while we looked
    }
  }

  /**
   * Stops every process of these roots: SIGTERM to all, up to {@code graceMs} for them to exit,
   * then SIGKILL to whatever is left (looked up again, since a dying process may have spawned), and
   * up to {@code killWaitMs} for the kernel to finish. Returns the processes still alive after that
   * (empty on success).
   */
  public static List<ProcessHandle> terminate(
      final Collection<ProcessHandle> roots, final long graceMs, final long killWaitMs)
      throws InterruptedException {
    final List<ProcessHandle> first = members(roots);
    first.forEach(ProcessHandle::destroy);
    if (!awaitAllDead(roots, graceMs)) {
      members(roots).forEach(ProcessHandle::destroyForcibly);
      awaitAllDead(roots, killWaitMs);
    }
    return members(roots);
  }

  /** SIGKILL to everything now: for the shutdown hook's last word and for test cleanup. */
  public static void killNow(final Collection<ProcessHandle> roots) {
    members(roots).forEach(ProcessHandle::destroyForcibly);
  }

  private static boolean awaitAllDead(final Collection<ProcessHandle> roots, final long timeoutMs)
      throws InterruptedException {
    final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (true) {
      if (members(roots).isEmpty()) {
        return true;
      }
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      Thread.sleep(POLL_MS);
    }
  }
}
