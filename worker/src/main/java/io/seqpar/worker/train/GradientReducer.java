package io.seqpar.worker.train;

import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.algo.AllReduce;
import io.seqpar.worker.model.BackwardListener;
import io.seqpar.worker.model.GradientBucket;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Sums the gradient block over the group, either in one all-reduce after backward or bucket by
 * bucket while backward runs (as a {@link BackwardListener}):
 *
 * <pre>
 *   bucketReady(k)       wait for bucket k−1 if still in flight, start bucket k     (exposed wait)
 *   poll()               progress the bucket in flight                              (overlap)
 *   beforeAttention(l)   wait for the bucket in flight: the attention operator's
 *                        scan uses the same communicator                            (exposed wait)
 *   finish()             wait for the last bucket                                   (exposed wait)
 * </pre>
 *
 * At most one collective is in flight, and every start sits at a fixed point of the program, so
 * every rank claims collective sequences in the same order whatever the timing. Each bucket is a
 * window of the whole block ({@link AllReduce#start(MemorySegment, int, int, int)}), so each float
 * is summed in the order of the unbucketed all-reduce: both modes give the same bits. One {@link
 * AllReduce} serves every bucket; nothing is allocated per step.
 */
final class GradientReducer implements BackwardListener {
  private final AllReduce reduce;
  private final MemorySegment grads;
  private final int count;
  private final int[] from;
  private final int[] to;
  private boolean inFlight;
  private long startNs;
  long reduceNs;
  long exposedNs;
  long bytesSent;
  int calls;

  GradientReducer(
      final Communicator comm, final MemorySegment grads, final List<GradientBucket> buckets) {
    this.grads = grads;
    this.count = Math.toIntExact(grads.byteSize() / Float.BYTES);
    this.reduce = new AllReduce(comm, Math.toIntExact(grads.byteSize()));
    this.from = new int[buckets.size()];
    this.to = new int[buckets.size()];
    for (int i = 0; i < buckets.size(); i++) {
      from[i] = buckets.get(i).from();
      to[i] = buckets.get(i).to();
    }
  }

  /** Clears the step's accounting. */
  void reset() {
    reduceNs = 0;
    exposedNs = 0;
    bytesSent = 0;
    calls = 0;
  }

  /** The whole block in one call, after backward (everything exposed). */
  void reduceAll() {
    begin(0, count);
    drain();
  }

  @Override
  public void bucketReady(final int index) {
    drain();
    begin(from[index], to[index]);
  }

  @Override
  public void beforeAttention(final int layer) {
    drain();
  }

  @Override
  public void poll() {
    if (inFlight && reduce.poll()) {
      complete();
    }
  }

  /** Waits for the bucket in flight, if any. */
  void finish() {
    drain();
  }

  private void begin(final int lo, final int hi) {
    startNs = System.nanoTime();
    inFlight = true;
    reduce.start(grads, count, lo, hi);
    calls++;
  }

  private void drain() {
    if (!inFlight) {
      return;
    }
    final long t0 = System.nanoTime();
    reduce.await();
    exposedNs += System.nanoTime() - t0;
    complete();
  }

  private void complete() {
    reduceNs += System.nanoTime() - startNs;
    bytesSent += reduce.stats().bytesSent();
    inFlight = false;
  }
}
