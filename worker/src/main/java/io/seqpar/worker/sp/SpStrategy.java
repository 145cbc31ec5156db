package io.seqpar.worker.sp;

import io.seqpar.collectives.ScanAlgorithm;
import java.util.Arrays;
import java.util.stream.Collectors;

/** How the sequence-parallel operator exchanges boundary states (algorithms.md §2.4–2.7). */
public enum SpStrategy {
  /** ZeCO All-Scan, overlapped with the intra-chunk work: each rank receives one state. */
  ALLSCAN("allscan", ScanAlgorithm.ALLSCAN),
  /** LASP-2: AllGather of every rank's summary, overlapped, then a local fold. */
  ALLGATHER("allgather", ScanAlgorithm.ALLGATHER),
  /** LASP-1 as the paper runs it: receive the state, compute, send; no overlap. */
  CHAIN("chain", ScanAlgorithm.CHAIN),
  /** Log-depth (Hillis–Steele) scan, overlapped. */
  TREE("tree", ScanAlgorithm.TREE),
  /** Picked per operator by {@link SpCostModel} from the state size and P. */
  AUTO("auto", null);

  private final String id;
  private final ScanAlgorithm algorithm;

  SpStrategy(final String id, final ScanAlgorithm algorithm) {
    this.id = id;
    this.algorithm = algorithm;
  }

  /** The name used by job specs and CLI flags. */
  public String id() {
    return id;
  }

  /** The scan collective this strategy runs (null for AUTO). */
  public ScanAlgorithm algorithm() {
    return algorithm;
  }

  /** The strategy called {@code id}; the message lists the allowed names. */
  public static SpStrategy fromId(final String id) {
    for (final SpStrategy s : values()) {
      if (s.id.equals(id)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "strategy '"
            + id
            + "' (allowed: "
            + Arrays.stream(values()).map(SpStrategy::id).collect(Collectors.joining(", "))
            + ")");
  }
}
