package io.seqpar.collectives;

import java.lang.foreign.MemorySegment;

/**
 * Exclusive scan of per-rank (log Γ, S) pairs under {@link ScanOperator}: on return rank p holds
 * {@code out = e ∘ pair_0 ∘ … ∘ pair_{p−1}} (state part; zero on the first rank in visiting order).
 * The SP operator calls it with {@code (log Γ_p, ΔS_p)} forward and {@code (log Γ_p, ΔdS_p)} in
 * reverse. Four implementations, chosen by {@link ScanAlgorithm}.
 *
 * <p>Buffers are native memory segments: {@code logDecay [heads·dk]} (≤ 0; zeros for plain
 * attention), {@code state [heads·dk·dv]}, {@code out [heads·dk·dv]}. The caller must not write
 * {@code logDecay}, {@code state} or {@code out} between {@link #start} and the end of {@link
 * AbstractCollective#await()}.
 */
public interface ScanCollective {
  ScanAlgorithm algorithm();

  ScanShape shape();

  /** Posts the scan and returns at once; finish with {@code await}, advance with {@code poll}. */
  void start(
      ScanDirection direction, MemorySegment logDecay, MemorySegment state, MemorySegment out);

  /** One progress step; true once complete. */
  boolean poll();

  /** Waits until complete or the deadline set at start passes. */
  void await();

  /** Waits until complete or {@code deadlineNs} ({@link System#nanoTime()} based) passes. */
  void await(long deadlineNs);

  /** Accounting of the last call. */
  CollectiveStats stats();

  /** {@link #start} then {@link #await()}. */
  default void scan(
      final ScanDirection direction,
      final MemorySegment logDecay,
      final MemorySegment state,
      final MemorySegment out) {
    start(direction, logDecay, state, out);
    await();
  }
}
