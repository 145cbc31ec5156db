package io.seqpar.worker.sp;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How a softmax-attention layer runs over the ranks of an SP group (algorithms.md §3.2–3.4). */
public enum SoftmaxStrategy {
  /** Ring attention on contiguous shards: KV circulates; rank r computes r+1 half-blocks. */
  RING("ring", SequenceLayout.Kind.CONTIGUOUS),
  /** Ring attention on the zigzag layout: every off-diagonal step is exactly half a block. */
  RING_ZIGZAG("ring-zigzag", SequenceLayout.Kind.ZIGZAG),
  /** LASP-2H: one AllGather of K and V forward, one ReduceScatter of dK and dV backward. */
  ALLGATHER_KV("allgather-kv", SequenceLayout.Kind.CONTIGUOUS);

  private final String id;
  private final SequenceLayout.Kind layout;

  SoftmaxStrategy(final String id, final SequenceLayout.Kind layout) {
    this.id = id;
    this.layout = layout;
  }

  /** The name used by job specs and CLI flags. */
  public String id() {
    return id;
  }

  /** The token layout the strategy computes on. */
  public SequenceLayout.Kind layout() {
    return layout;
  }

  /** The strategy called {@code id}; the message lists the allowed names. */
  public static SoftmaxStrategy fromId(final String id) {
    for (final SoftmaxStrategy s : values()) {
      if (s.id.equals(id)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "softmax strategy '"
            + id
            + "' (allowed: "
            + Arrays.stream(values()).map(SoftmaxStrategy::id).collect(Collectors.joining(", "))
            + ")");
  }
}
