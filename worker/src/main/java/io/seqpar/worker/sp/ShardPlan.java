package io.seqpar.worker.sp;

/**
 * Contiguous shards of T tokens over P ranks, the convention of the oracle and the coordinator: the
 * first {@code T % P} ranks get one extra token, so ranks may be empty when T < P.
 */
public final class ShardPlan {
  private ShardPlan() {}

  /** First token of rank {@code r}. */
  public static int start(final int tokens, final int ranks, final int r) {
    final int base = tokens / ranks;
    final int extra = tokens % ranks;
    return r * base + Math.min(r, extra);
  }

  /** Tokens held by rank {@code r}. */
  public static int length(final int tokens, final int ranks, final int r) {
    return tokens / ranks + (r < tokens % ranks ? 1 : 0);
  }
}
