package io.seqpar.collectives;

import io.seqpar.collectives.algo.AllGatherScan;
import io.seqpar.collectives.algo.AllScan;
import io.seqpar.collectives.algo.ChainScan;
import io.seqpar.collectives.algo.TreeScan;

/** The scan algorithms of algorithms.md §2.4–2.8; names match the bench's {@code --op}. */
public enum ScanAlgorithm {
  /** ZeCO All-Scan: K row blocks pipelined rank to rank; receives M bytes, 1 state. */
  ALLSCAN("allscan"),
  /** LASP-2: AllGather of all pairs, then a local fold; receives (P−1)(M+G), P−1 states. */
  ALLGATHER("allgather"),
  /** LASP-1: whole state rank to rank; receives M, 1 state. */
  CHAIN("chain"),
  /** Hillis–Steele log-depth scan; receives ⌈log2 P⌉(M+G), ⌈log2 P⌉ states. */
  TREE("tree");

  private final String cliName;

  ScanAlgorithm(final String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  /** The algorithm called {@code name} ({@link #cliName()}), case-insensitive. */
  public static ScanAlgorithm fromName(final String name) {
    for (final ScanAlgorithm a : values()) {
      if (a.cliName.equalsIgnoreCase(name)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown scan algorithm '" + name + "'");
  }

  /**
   * Builds the collective over {@code comm} for states of {@code shape}; {@code blocks} is
   * All-Scan's K (≤ 0: {@link AllScan#defaultBlocks}), ignored by the others.
   */
  public ScanCollective create(final Communicator comm, final ScanShape shape, final int blocks) {
    return switch (this) {
      case ALLSCAN -> new AllScan(comm, shape, blocks);
      case ALLGATHER -> new AllGatherScan(comm, shape);
      case CHAIN -> new ChainScan(comm, shape);
      case TREE -> new TreeScan(comm, shape);
    };
  }
}
