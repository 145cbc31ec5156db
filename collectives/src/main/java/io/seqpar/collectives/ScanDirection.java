package io.seqpar.collectives;

/**
 * Which way a scan runs. {@link #FORWARD}: exclusive prefix in rank order, rank 0 gets the identity
 * (S_in of algorithms.md §2.1). {@link #REVERSE}: exclusive suffix, rank P−1 gets the identity
 * (dS_out of §2.2) — the same operator over ranks visited P−1, …, 0.
 */
public enum ScanDirection {
  FORWARD("fwd"),
  REVERSE("bwd");

  private final String shortName;

  ScanDirection(final String shortName) {
    this.shortName = shortName;
  }

  public String shortName() {
    return shortName;
  }

  /** The position of {@code rank} in visiting order. */
  public int virtualRank(final int rank, final int ranks) {
    return this == FORWARD ? rank : ranks - 1 - rank;
  }

  /** The real rank at visiting position {@code v}. */
  public int realRank(final int v, final int ranks) {
    return this == FORWARD ? v : ranks - 1 - v;
  }
}
