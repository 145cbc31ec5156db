package io.seqpar.worker.model;

/**
 * A contiguous slice {@code [from, to)} (in floats) of {@link ParameterSet#gradientBlock()} whose
 * gradients become final together during backward, so it can be all-reduced while backward goes on.
 * The buckets of a model partition the block, alignment padding included.
 *
 * @param name what it holds ({@code "head"}, {@code "blocks.3"}, {@code "embed"})
 * @param from first float
 * @param to one past the last float
 */
public record GradientBucket(String name, int from, int to) {
  public GradientBucket {
    if (from < 0 || to < from) {
      throw new IllegalArgumentException(name + ": [" + from + ", " + to + ")");
    }
  }

  /** Floats in the bucket. */
  public int floats() {
    return to - from;
  }
}
