package io.seqpar.worker.model;

/**
 * What {@link LanguageModel#backward(BackwardListener)} reports while it runs, on the caller's
 * thread, so that a sequence-parallel trainer can all-reduce finished gradients while backward goes
 * on (the collective progresses only when its owner polls it).
 *
 * <p>Order within one backward: {@code bucketReady(0)} after the LM head and the final norm, then
 * per block {@code i = layers−1 … 0}: {@code poll()} between pieces of compute, {@code
 * beforeAttention(i)} right before the attention operator runs (it may communicate on the same
 * communicator, so nothing else may be in flight there), {@code bucketReady(layers − i)} when the
 * block is done; finally {@code bucketReady(layers + 1)} after the embedding. Bucket indices are
 * those of {@link ParameterSet#gradientBuckets()}. Implementations must not allocate.
 */
public interface BackwardListener {
  /** Listens to nothing (single-rank backward). */
  BackwardListener NONE =
      new BackwardListener() {
        @Override
        public void bucketReady(final int index) {}

        @Override
        public void beforeAttention(final int layer) {}

        @Override
        public void poll() {}
      };

  /** Every gradient of bucket {@code index} is final (no later backward work adds to it). */
  void bucketReady(int index);

  /** The attention operator of {@code layer} is about to run its backward. */
  void beforeAttention(int layer);

  /** A point between two pieces of compute: advance communication without blocking. */
  void poll();
}
