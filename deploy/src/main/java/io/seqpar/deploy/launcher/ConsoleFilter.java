package io.seqpar.deploy.launcher;

import java.util.Set;

/**
 * Which children's lines reach the console ({@code --quiet}, {@code --ranks 0,3}); the log files
 * always get every line.
 *
 * @param quiet no child output on the console at all
 * @param workerRanks the worker ranks to show, or null for all; the coordinator is always shown
 *     unless quiet, because it carries the job-level lines
 */
public record ConsoleFilter(boolean quiet, Set<Integer> workerRanks) {
  public static final ConsoleFilter ALL = new ConsoleFilter(false, null);
  public static final ConsoleFilter QUIET = new ConsoleFilter(true, null);

  public ConsoleFilter {
    workerRanks = workerRanks == null ? null : Set.copyOf(workerRanks);
  }

  public static ConsoleFilter ranks(final Set<Integer> ranks) {
    return new ConsoleFilter(false, ranks);
  }

  public boolean shows(final Role role, final int rank) {
    if (quiet) {
      return false;
    }
    return role == Role.COORDINATOR || workerRanks == null || workerRanks.contains(rank);
  }
}
