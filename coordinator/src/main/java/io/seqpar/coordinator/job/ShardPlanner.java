package io.seqpar.coordinator.job;

import io.seqpar.proto.v1.ShardRange;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits T tokens contiguously over P ranks: the first {@code T % P} ranks get one extra token (the
 * oracle's sharding rule, so {@code T=257, P=4} gives [0,65) [65,129) [129,193) [193,257)). Labels
 * are the inputs shifted by one over the whole sequence, so a shard's first target is the global
 * token {@code start + 1}, which may live on the next rank.
 */
public final class ShardPlanner {
  private ShardPlanner() {}

  /** The plan for {@code tokens} tokens on {@code worldSize} ranks, ordered by rank. */
  public static List<ShardRange> plan(final long tokens, final int worldSize) {
    if (tokens < 0 || worldSize < 1) {
      throw new IllegalArgumentException(
          "shard plan: tokens=" + tokens + " worldSize=" + worldSize + " (need >= 0 and >= 1)");
    }
    final long base = tokens / worldSize;
    final long extra = tokens % worldSize;
    final List<ShardRange> out = new ArrayList<>(worldSize);
    long start = 0;
    for (int r = 0; r < worldSize; r++) {
      final long len = base + (r < extra ? 1 : 0);
      out.add(
          ShardRange.newBuilder()
              .setRank(r)
              .setStartToken(start)
              .setEndToken(start + len)
              .setFirstTargetToken(start + 1)
              .build());
      start += len;
    }
    return List.copyOf(out);
  }

  /** Tokens on the smallest shard: {@code floor(T / P)}. */
  public static long smallestShard(final long tokens, final int worldSize) {
    return tokens / worldSize;
  }
}
