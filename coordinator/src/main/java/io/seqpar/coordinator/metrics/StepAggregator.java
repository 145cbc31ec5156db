package io.seqpar.coordinator.metrics;

import io.seqpar.proto.v1.CollectiveTiming;
import io.seqpar.proto.v1.StepReport;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/** Collects the P step reports of one step; yields a {@link StepSummary} once all arrived. */
public final class StepAggregator {
  private final long step;
  private final int worldSize;
  private final BitSet seen;
  private double lossSum;
  private long tokens;
  private double maxStepSeconds;
  private double maxExposedSeconds;
  private long bytesSent;
  private final Map<String, Double> collectiveSeconds = new HashMap<>();
  private final Map<String, Long> collectiveBytes = new HashMap<>();

  public StepAggregator(final long step, final int worldSize) {
    this.step = step;
    this.worldSize = worldSize;
    this.seen = new BitSet(worldSize);
  }

  /** Adds one rank's report; returns false if that rank already reported this step. */
  public boolean add(final StepReport r) {
    if (seen.get(r.getRank())) {
      return false;
    }
    seen.set(r.getRank());
    lossSum += r.getLoss();
    tokens += r.getTokens();
    maxStepSeconds = Math.max(maxStepSeconds, r.getStepSeconds());
    maxExposedSeconds = Math.max(maxExposedSeconds, r.getExposedCommSeconds());
    bytesSent += r.getBytesSent();
    for (final CollectiveTiming c : r.getCollectivesList()) {
      final String key = c.getCollective() + "/" + c.getAlgorithm();
      collectiveSeconds.merge(key, c.getSeconds(), Math::max);
      collectiveBytes.merge(key, c.getBytes(), Long::sum);
    }
    return true;
  }

  /** True once every rank reported. */
  public boolean complete() {
    return seen.cardinality() == worldSize;
  }

  /** The aggregate; call once {@link #complete()}. */
  public StepSummary summary() {
    final double tps = maxStepSeconds > 0 ? tokens / maxStepSeconds : 0.0;
    return new StepSummary(
        step,
        lossSum / worldSize,
        tokens,
        maxStepSeconds,
        tps,
        maxExposedSeconds,
        bytesSent,
        new TreeMap<>(collectiveSeconds),
        new TreeMap<>(collectiveBytes));
  }
}
