package io.seqpar.worker.optim;

import io.seqpar.InvalidInputException;

/**
 * Linear warmup then cosine decay. For 0-based step s:
 *
 * <pre>
 *   s &lt; warmup:  lr = maxLr · (s + 1) / warmup
 *   otherwise:   p = min(1, (s − warmup) / max(1, total − warmup))
 *                lr = minLr + ½ (maxLr − minLr) (1 + cos(π p))
 * </pre>
 *
 * @param maxLr peak learning rate
 * @param minLr floor reached at step {@code totalSteps} and kept after
 * @param warmupSteps steps of linear warmup (0 = none)
 * @param totalSteps total training steps
 */
public record LrSchedule(double maxLr, double minLr, int warmupSteps, int totalSteps) {
  public LrSchedule {
    if (!(maxLr > 0) || !(minLr >= 0) || minLr > maxLr) {
      throw new InvalidInputException(
          "lr schedule: maxLr="
              + maxLr
              + " minLr="
              + minLr
              + " (allowed: 0 <= minLr <= maxLr, maxLr > 0)");
    }
    if (warmupSteps < 0 || totalSteps < 1) {
      throw new InvalidInputException(
          "lr schedule: warmupSteps="
              + warmupSteps
              + " totalSteps="
              + totalSteps
              + " (allowed: warmupSteps >= 0, totalSteps >= 1)");
    }
  }

  /** The learning rate of 0-based step {@code step}. */
  public double lr(final long step) {
    if (step < warmupSteps) {
      return maxLr * (step + 1) / warmupSteps;
    }
    final double p =
        Math.min(1.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return minLr + 0.5 * (maxLr - minLr) * (1 + Math.cos(Math.PI * p));
  }
}
