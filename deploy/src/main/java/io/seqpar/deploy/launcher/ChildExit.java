package io.seqpar.deploy.launcher;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * How one child ended, for the root-cause block.
 *
 * @param role coordinator or worker
 * @param rank the worker rank
 * @param label e.g. {@code w03}
 * @param pid the child's pid
 * @param exitCode its exit status as Java reports it: 128+n when killed by signal n
 * @param time when the launcher observed the exit
 * @param reason why it counts as a failure, e.g. "exited with code 3"
 * @param logFile the child's log file
 * @param lastLines its last output lines, prefixed
 * @param stoppedByLauncher whether the launcher's own teardown ended it (not a cause)
 */
public record ChildExit(
    Role role,
    int rank,
    String label,
    long pid,
    int exitCode,
    Instant time,
    String reason,
    Path logFile,
    List<String> lastLines,
    boolean stoppedByLauncher) {

  public ChildExit {
    lastLines = List.copyOf(lastLines);
  }

  /** The signal number for a signal death (exit code 129..192 as Java reports it), else 0. */
  public int signal() {
    return signalOf(exitCode);
  }

  static int signalOf(final int exitCode) {
    return exitCode > 128 && exitCode <= 128 + 64 ? exitCode - 128 : 0;
  }

  /** "3", or "137 (signal 9: SIGKILL)". */
  public String describeExitCode() {
    return describe(exitCode);
  }

  static String describe(final int exitCode) {
    final int sig = signalOf(exitCode);
    return sig == 0
        ? Integer.toString(exitCode)
        : exitCode + " (signal " + sig + ": " + signalName(sig) + ")";
  }

  static String signalName(final int sig) {
    return switch (sig) {
      case 1 -> "SIGHUP";
      case 2 -> "SIGINT";
      case 3 -> "SIGQUIT";
      case 4 -> "SIGILL";
      case 6 -> "SIGABRT";
      case 7 -> "SIGBUS";
      case 8 -> "SIGFPE";
      case 9 -> "SIGKILL";
      case 11 -> "SIGSEGV";
      case 13 -> "SIGPIPE";
      case 15 -> "SIGTERM";
      default -> "SIG" + sig;
    };
  }
}
