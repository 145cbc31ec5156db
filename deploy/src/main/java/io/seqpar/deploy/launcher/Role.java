package io.seqpar.deploy.launcher;

/** What a child process is: the one coordinator or one of the N workers. */
public enum Role {
  COORDINATOR("coordinator"),
  WORKER("worker");

  /**
   * The smallest width a worker rank is padded to, so prefixes read {@code [w03]} as in the docs.
   */
  static final int MIN_RANK_DIGITS = 2;

  private final String id;

  Role(final String id) {
    this.id = id;
  }

  /** The value of {@link EnvContract#ROLE}. */
  public String id() {
    return id;
  }

  /**
   * The short label used for log prefixes and log file names: {@code coord} for the coordinator,
   * {@code w03} for worker 3, the rank zero-padded to the width of {@code workers - 1} (at least
   * two digits) so that labels sort and line up.
   */
  public String label(final int rank, final int workers) {
    if (this == COORDINATOR) {
      return "coord";
    }
    final int digits =
        Math.max(MIN_RANK_DIGITS, Integer.toString(Math.max(0, workers - 1)).length());
    return "w" + String.format("%0" + digits + "d", rank);
  }
}
