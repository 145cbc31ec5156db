package io.seqpar.deploy.launcher;

import io.seqpar.SeqparException;
import io.seqpar.deploy.launcher.GroupOutcome.Status;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a group to its end, restarting the whole group after a failure up to {@code maxRestarts}
 * times (torchrun's {@code --max-restarts}), each attempt with {@code SEQPAR_RESTART_COUNT} one
 * higher, and maps launcher signals: SIGINT/SIGTERM stop the current group and end the run with
 * 130/143, never a restart. Prints the root-cause block of every failed attempt.
 *
 * <p>How {@code seqpar local} uses it: build a {@link GroupContext} on the run's log dir, then
 * {@code new GroupSupervisor(ctx, maxRestarts, err).run((group, restart) -> { start coordinator;
 * ReadyFile.awaitPort(...); start workers with the port })} and exit with the outcome's {@link
 * GroupOutcome#exitCode()}.
 */
public final class GroupSupervisor {
  /**
   * Starts the children of one attempt into {@code group} (staged starts and handshakes allowed).
   */
  @FunctionalInterface
  public interface Launch {
    void launch(ProcessGroup group, int restartCount) throws InterruptedException;
  }

  /** How long to wait for a dead child's exit to be observed before reporting a launch failure. */
  private static final long EXIT_OBSERVED_MS = 2_000;

  private final GroupContext ctx;
  private final int maxRestarts;
  private final PrintStream report;
  private final boolean trapSignals;
  private final String what;

  /**
   * @param ctx the group configuration, shared by every attempt
   * @param maxRestarts how many times to restart after a failure (0 = fail on the first)
   * @param report where the root-cause blocks and restart notices go (the launcher's stderr)
   * @param trapSignals whether to trap SIGINT/SIGTERM (the CLI does; in-process tests must not)
   * @param what the job's name in the report, e.g. {@code "seqpar local"}
   */
  public GroupSupervisor(
      final GroupContext ctx,
      final int maxRestarts,
      final PrintStream report,
      final boolean trapSignals,
      final String what) {
    if (maxRestarts < 0) {
      throw new io.seqpar.InvalidInputException("--max-restarts: " + maxRestarts + " must be >= 0");
    }
    this.ctx = ctx.conclude();
    this.maxRestarts = maxRestarts;
    this.report = report;
    this.trapSignals = trapSignals;
    this.what = what;
  }

  /** Runs attempts until one succeeds, restarts run out, or the launcher is signalled. */
  public GroupOutcome run(final Launch launch) throws InterruptedException {
    final AtomicReference<ProcessGroup> current = new AtomicReference<>();
    final AtomicReference<LauncherSignals.Trapped> signalled = new AtomicReference<>();
    final LauncherSignals signals =
        trapSignals ? LauncherSignals.install(sig -> onSignal(sig, signalled, current)) : null;
    try {
      int attempt = 0;
      while (true) {
        final GroupOutcome outcome = runOnce(launch, attempt, current, signalled);
        RootCauseReport.print(report, what, outcome);
        if (!outcome.restartable() || attempt >= maxRestarts || signalled.get() != null) {
          return outcome;
        }
        attempt++;
        report.println(
            "seqpar: restarting the whole group (restart "
                + attempt
                + " of "
                + maxRestarts
                + ", "
                + EnvContract.RESTART_COUNT
                + "="
                + attempt
                + ")");
        report.flush();
      }
    } finally {
      if (signals != null) {
        signals.close();
      }
    }
  }

  private static void onSignal(
      final LauncherSignals.Trapped sig,
      final AtomicReference<LauncherSignals.Trapped> signalled,
      final AtomicReference<ProcessGroup> current) {
    final boolean first = signalled.compareAndSet(null, sig);
    final ProcessGroup g = current.get();
    if (g == null) {
      return;
    }
    if (first) {
      g.stop(sig.status(), "the launcher received SIG" + sig.name());
    } else {
      // A second Ctrl-C: the user will not wait for the grace period.
      g.killNow();
    }
  }

  private GroupOutcome runOnce(
      final Launch launch,
      final int attempt,
      final AtomicReference<ProcessGroup> current,
      final AtomicReference<LauncherSignals.Trapped> signalled)
      throws InterruptedException {
    try (ProcessGroup group = new ProcessGroup(ctx, attempt)) {
      current.set(group);
      final LauncherSignals.Trapped early = signalled.get();
      if (early != null) {
        group.stop(early.status(), "the launcher received SIG" + early.name());
      } else {
        try {
          launch.launch(group, attempt);
        } catch (final SeqparException e) {
          // A child died during the handshake: let its exit event reach the supervisor first, so
          // that the root cause names the child rather than the handshake.
          for (final ChildProcess c : group.children()) {
            c.awaitExitObserved(EXIT_OBSERVED_MS);
          }
          group.stop(Status.FAILED, "launch failed: " + e.reason());
        }
      }
      return group.awaitOutcome();
    } finally {
      current.set(null);
    }
  }
}
