package io.seqpar.coordinator.metrics;

import java.util.Map;

/**
 * One step aggregated over all P ranks.
 *
 * @param step step number (0-based)
 * @param loss mean of the ranks' losses
 * @param tokens tokens processed by all ranks
 * @param stepSeconds slowest rank's step time (the step ends when the last rank ends)
 * @param tokensPerSecond global throughput: tokens / stepSeconds
 * @param exposedCommSeconds largest exposed communication time over ranks
 * @param bytesSent data-plane bytes sent by all ranks
 * @param collectiveSeconds slowest rank's time per "collective/algorithm"
 * @param collectiveBytes bytes per "collective/algorithm" summed over ranks
 */
public record StepSummary(
    long step,
    double loss,
    long tokens,
    double stepSeconds,
    double tokensPerSecond,
    double exposedCommSeconds,
    long bytesSent,
    Map<String, Double> collectiveSeconds,
    Map<String, Long> collectiveBytes) {

  /** One JSON object (JSONL record) with unit-suffixed keys. */
  public String toJson(final long timeUnixMs) {
    final StringBuilder sb = new StringBuilder(256);
    sb.append("{\"ts_unix_ms\":").append(timeUnixMs);
    sb.append(",\"event\":\"step\",\"step\":").append(step);
    sb.append(",\"loss\":").append(num(loss));
    sb.append(",\"tokens\":").append(tokens);
    sb.append(",\"step_duration_s\":").append(num(stepSeconds));
    sb.append(",\"tokens_per_s\":").append(num(tokensPerSecond));
    sb.append(",\"exposed_comm_s\":").append(num(exposedCommSeconds));
    sb.append(",\"bytes_sent_b\":").append(bytesSent);
    sb.append(",\"collectives\":{");
    boolean first = true;
    for (final Map.Entry<String, Double> e : collectiveSeconds.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      sb.append('"').append(e.getKey().replace("\"", "")).append("\":{\"duration_s\":");
      sb.append(num(e.getValue())).append(",\"bytes_b\":");
      sb.append(collectiveBytes.getOrDefault(e.getKey(), 0L)).append('}');
    }
    return sb.append("}}").toString();
  }

  private static String num(final double d) {
    return Double.isFinite(d) ? Double.toString(d) : "null";
  }
}
