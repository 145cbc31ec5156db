package io.seqpar.deploy.launcher;

import io.seqpar.deploy.cli.ExitCodes;
import java.time.Duration;
import java.util.List;

/**
 * How a group run ended.
 *
 * @param status what happened
 * @param reason one line for humans, naming role, rank, pid and values
 * @param rootCause the first observed failure of a child, or null (success, timeout, signal)
 * @param otherFailures later child failures that were not caused by the launcher's teardown
 * @param elapsed from the group's start to the end of its teardown
 * @param restartCount the attempt this outcome belongs to (0 = first)
 * @param survivors pids still alive after teardown: empty unless the OS refused to kill them
 */
public record GroupOutcome(
    Status status,
    String reason,
    ChildExit rootCause,
    List<ChildExit> otherFailures,
    Duration elapsed,
    int restartCount,
    List<Long> survivors) {

  /** The kinds of ending; only {@link #FAILED} and {@link #TIMED_OUT} may be restarted. */
  public enum Status {
    SUCCEEDED,
    /** A child exited non-zero, or exited 0 when that counts as failure. */
    FAILED,
    /** The group's deadline passed, or the caller stopped it (e.g. a rendezvous timeout). */
    TIMED_OUT,
    /** The launcher got SIGINT (Ctrl-C). */
    INTERRUPTED,
    /** The launcher got SIGTERM. */
    TERMINATED
  }

  public GroupOutcome {
    otherFailures = List.copyOf(otherFailures);
    survivors = List.copyOf(survivors);
  }

  public boolean succeeded() {
    return status == Status.SUCCEEDED;
  }

  /** Whether {@code --max-restarts} may start the group again after this outcome. */
  public boolean restartable() {
    return status == Status.FAILED || status == Status.TIMED_OUT;
  }

  /**
   * The launcher's exit code: 0 on success; the failing child's own code (128+n for a signal death,
   * as Java reports it); 1 when the cause has no code of its own (an early exit 0, a timeout); 130
   * after SIGINT and 143 after SIGTERM to the launcher.
   */
  public int exitCode() {
    return switch (status) {
      case SUCCEEDED -> ExitCodes.OK;
      case INTERRUPTED -> ExitCodes.INTERRUPTED;
      case TERMINATED -> ExitCodes.TERMINATED;
      case TIMED_OUT -> ExitCodes.FAILURE;
      case FAILED ->
          rootCause != null && rootCause.exitCode() != 0 ? rootCause.exitCode() : ExitCodes.FAILURE;
    };
  }

  GroupOutcome withRestartCount(final int count) {
    return new GroupOutcome(status, reason, rootCause, otherFailures, elapsed, count, survivors);
  }
}
