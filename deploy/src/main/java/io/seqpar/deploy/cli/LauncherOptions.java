package io.seqpar.deploy.cli;

import io.seqpar.deploy.launcher.ConsoleFilter;
import io.seqpar.deploy.launcher.GroupContext;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The supervision flags shared by {@code seqpar local} and {@code seqpar run} (a picocli
 * {@code @Mixin}): restarts, grace period, group deadline and console filters. Defaults can come
 * from {@code SEQPAR_*} variables, as for every CLI option.
 */
public final class LauncherOptions {
  @Option(
      names = "--max-restarts",
      paramLabel = "K",
      defaultValue = "${env:SEQPAR_MAX_RESTARTS:-0}",
      description =
          "Restart the whole group up to K times after a failure (default: ${DEFAULT-VALUE}).")
  int maxRestarts;

  @Option(
      names = "--grace-ms",
      paramLabel = "MS",
      defaultValue = "${env:SEQPAR_GRACE_MS:-10000}",
      description =
          "SIGTERM -> SIGKILL grace period when stopping the group (default: ${DEFAULT-VALUE}).")
  long graceMs;

  @Option(
      names = "--timeout-ms",
      paramLabel = "MS",
      defaultValue = "0",
      description = "Stop the group after this long; 0 = no limit (default: ${DEFAULT-VALUE}).")
  long timeoutMs;

  @Option(
      names = "--quiet",
      description = "Show no child output on the console (the log files get everything).")
  boolean quiet;

  @Option(
      names = "--ranks",
      paramLabel = "R[,R...]",
      split = ",",
      description =
          "Show only these worker ranks on the console (the coordinator is always shown).")
  List<Integer> ranks;

  /** How many restarts {@code --max-restarts} allows. */
  public int maxRestarts() {
    return maxRestarts;
  }

  /** The console filter {@code --quiet}/{@code --ranks} ask for. */
  public ConsoleFilter consoleFilter() {
    if (quiet) {
      return ConsoleFilter.QUIET;
    }
    return ranks == null ? ConsoleFilter.ALL : ConsoleFilter.ranks(Set.copyOf(ranks));
  }

  /** Applies the flags to a group context; {@link GroupContext#conclude()} validates them. */
  public GroupContext applyTo(final GroupContext ctx) {
    return ctx.graceMs(graceMs).timeoutMs(timeoutMs).consoleFilter(consoleFilter());
  }
}
