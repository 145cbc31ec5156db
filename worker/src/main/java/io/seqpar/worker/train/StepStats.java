package io.seqpar.worker.train;

/**
 * What one rank's training step cost, as a runtime reports it ({@link SpTrainer#lastStepStats()}).
 * Times are wall-clock seconds on this rank.
 *
 * @param step the step number (0-based)
 * @param stepSeconds the whole step: data, forward, backward, reductions, optimizer
 * @param allReduceSeconds gradient and loss all-reduce, start to completion, summed over buckets
 *     (with overlap, much of it runs while backward computes)
 * @param exposedAllReduceSeconds the part of it spent blocked waiting (not overlapped)
 * @param bytesSent payload bytes this rank sent in the all-reduces
 * @param buckets gradient all-reduce calls (1 without bucketing, 0 on one rank)
 * @param attentionSeconds sequence-parallel attention operator, forward and backward, all layers (0
 *     when the model's attention is not {@code SpAttentionOp})
 * @param attentionExposedSeconds the part of it blocked on the state scan
 */
public record StepStats(
    long step,
    double stepSeconds,
    double allReduceSeconds,
    double exposedAllReduceSeconds,
    long bytesSent,
    int buckets,
    double attentionSeconds,
    double attentionExposedSeconds) {

  /** No step run yet. */
  public static final StepStats NONE = new StepStats(-1, 0, 0, 0, 0, 0, 0, 0);
}
