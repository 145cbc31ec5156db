package io.seqpar.collectives.bench;

import io.seqpar.collectives.ExchangePattern;
import io.seqpar.collectives.ScanAlgorithm;
import java.util.Locale;

/**
 * What {@code seqpar bench collectives --op} measures, and how bandwidth is reported (nccl-tests
 * conventions, conventions.md §2.5; GB/s = 1e9 B/s). {@code bytes} is always per rank.
 *
 * <ul>
 *   <li>scans ({@code allscan}, {@code allgather}, {@code chain}, {@code tree}): S = per-rank
 *       state; algbw = S/t, busbw factor 1 (every rank but the first must ingest S bytes).
 *   <li>{@code ring}: one ring exchange step; algbw = S/t, factor 1.
 *   <li>{@code allreduce}: algbw = S/t, factor 2(P−1)/P.
 *   <li>{@code allgather-raw}: each rank contributes S; algbw = P·S/t (gathered size), factor
 *       (P−1)/P.
 * </ul>
 */
public enum BenchOp {
  ALLSCAN("allscan", ScanAlgorithm.ALLSCAN),
  ALLGATHER("allgather", ScanAlgorithm.ALLGATHER),
  CHAIN("chain", ScanAlgorithm.CHAIN),
  TREE("tree", ScanAlgorithm.TREE),
  RING("ring", null),
  ALLREDUCE("allreduce", null),
  ALLGATHER_RAW("allgather-raw", null);

  private final String cliName;
  private final ScanAlgorithm scan;

  BenchOp(final String cliName, final ScanAlgorithm scan) {
    this.cliName = cliName;
    this.scan = scan;
  }

  public String cliName() {
    return cliName;
  }

  /** The scan algorithm, or null for the other collectives. */
  public ScanAlgorithm scan() {
    return scan;
  }

  /**
   * Name of the algorithm reported next to the op, with {@code pattern} (null for the scans) the
   * exchange pattern it runs with ({@link BenchSpec#patternFor}).
   */
  public String algorithm(final ExchangePattern pattern) {
    final String p = pattern == null ? "" : pattern.name().toLowerCase(Locale.ROOT);
    return switch (this) {
      case ALLSCAN -> "zeco-allscan";
      case ALLGATHER -> "lasp2-allgather+fold";
      case CHAIN -> "lasp1-chain";
      case TREE -> "hillis-steele-tree";
      case RING -> "ring-sendrecv";
      case ALLREDUCE -> pattern == ExchangePattern.SHARED ? p : "one-round<=64KiB," + p;
      case ALLGATHER_RAW -> p;
    };
  }

  /** Bytes the algorithmic bandwidth divides by time. */
  public double algBytes(final long bytesPerRank, final int ranks) {
    return this == ALLGATHER_RAW ? (double) bytesPerRank * ranks : bytesPerRank;
  }

  /** busbw / algbw. */
  public double busbwFactor(final int ranks) {
    return switch (this) {
      case ALLREDUCE -> 2.0 * (ranks - 1) / ranks;
      case ALLGATHER_RAW -> (ranks - 1) / (double) ranks;
      default -> 1.0;
    };
  }

  /** The op called {@code name}, or null. */
  public static BenchOp fromName(final String name) {
    for (final BenchOp op : values()) {
      if (op.cliName.equals(name)) {
        return op;
      }
    }
    return null;
  }
}
