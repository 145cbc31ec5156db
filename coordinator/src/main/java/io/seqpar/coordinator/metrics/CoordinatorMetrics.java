package io.seqpar.coordinator.metrics;

import io.seqpar.coordinator.job.JobState;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * The coordinator's metrics, rendered as Prometheus text exposition format 0.0.4 (names per
 * conventions §5: {@code seqpar_} prefix, base units, counters end in {@code _total}) and, per
 * step, appended as one JSONL record. Hand-written to keep the control plane free of a metrics
 * framework; all methods are thread-safe.
 */
public final class CoordinatorMetrics implements AutoCloseable {
  /** Upper bounds of the duration histograms, in seconds. */
  static final double[] BUCKETS_S = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60};

  private final String version;
  private final BufferedWriter jsonl;
  private JobState state = JobState.PENDING;
  private final Map<Integer, Boolean> rankUp = new TreeMap<>();
  private long stepsCompleted;
  private long tokensTotal;
  private long bytesTotal;
  private double lastLoss = Double.NaN;
  private double lastTokensPerSecond;
  private double lastExposedSeconds;
  private double lastStepTimestampS;
  private final Histogram stepDuration = new Histogram();
  private final Map<String, Histogram> collectiveDuration = new TreeMap<>();
  private final Map<String, Long> collectiveBytes = new TreeMap<>();

  /** Metrics without a JSONL file. */
  public CoordinatorMetrics(final String version) {
    this(version, null);
  }

  /** Metrics that also append one JSON line per step to {@code jsonlPath} (if not null). */
  public CoordinatorMetrics(final String version, final Path jsonlPath) {
    this.version = version;
    try {
      if (jsonlPath == null) {
        this.jsonl = null;
      } else {
        if (jsonlPath.getParent() != null) {
          Files.createDirectories(jsonlPath.getParent());
        }
        this.jsonl =
            Files.newBufferedWriter(
                jsonlPath,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
      }
    } catch (final IOException e) {
      throw new UncheckedIOException("metrics: cannot open JSONL file " + jsonlPath, e);
    }
  }

  /** Records the current job state. */
  public synchronized void state(final JobState s) {
    this.state = s;
  }

  /** Records whether {@code rank} is heartbeating. */
  public synchronized void rankUp(final int rank, final boolean up) {
    rankUp.put(rank, up);
  }

  /** Forgets per-rank series (a new epoch may have another world size). */
  public synchronized void resetRanks() {
    rankUp.clear();
  }

  /** Adds one aggregated step. */
  public synchronized void step(final StepSummary s, final long timeUnixMs) {
    stepsCompleted++;
    tokensTotal += s.tokens();
    bytesTotal += s.bytesSent();
    lastLoss = s.loss();
    lastTokensPerSecond = s.tokensPerSecond();
    lastExposedSeconds = s.exposedCommSeconds();
    lastStepTimestampS = timeUnixMs / 1000.0;
    stepDuration.observe(s.stepSeconds());
    s.collectiveSeconds()
        .forEach((k, v) -> collectiveDuration.computeIfAbsent(k, x -> new Histogram()).observe(v));
    s.collectiveBytes().forEach((k, v) -> collectiveBytes.merge(k, v, Long::sum));
    if (jsonl != null) {
      try {
        jsonl.write(s.toJson(timeUnixMs));
        jsonl.newLine();
        jsonl.flush();
      } catch (final IOException e) {
        throw new UncheckedIOException("metrics: cannot append step " + s.step() + " to JSONL", e);
      }
    }
  }

  /** The whole registry in Prometheus text format. */
  public synchronized String scrape() {
    final StringBuilder sb = new StringBuilder(4096);
    family(sb, "seqpar_build_info", "gauge", "seqpar version of the coordinator.");
    sb.append("seqpar_build_info{role=\"coordinator\",version=\"")
        .append(esc(version))
        .append("\"} 1\n");
    family(sb, "seqpar_job_state", "gauge", "1 for the job's current state, 0 for the others.");
    for (final JobState s : JobState.values()) {
      sb.append("seqpar_job_state{state=\"").append(s.label()).append("\"} ");
      sb.append(s == state ? 1 : 0).append('\n');
    }
    family(sb, "seqpar_rank_up", "gauge", "1 while the rank heartbeats within its deadline.");
    rankUp.forEach(
        (r, up) ->
            sb.append("seqpar_rank_up{rank=\"")
                .append(r)
                .append("\"} ")
                .append(up ? 1 : 0)
                .append('\n'));
    counter(sb, "seqpar_steps_completed_total", "Steps finished by every rank.", stepsCompleted);
    counter(sb, "seqpar_tokens_processed_total", "Tokens processed by all ranks.", tokensTotal);
    counter(sb, "seqpar_bytes_sent_total", "Data-plane bytes sent by all ranks.", bytesTotal);
    gauge(sb, "seqpar_step_loss", "Mean training loss of the last step.", lastLoss);
    gauge(
        sb,
        "seqpar_tokens_per_second",
        "Global tokens per second of the last step.",
        lastTokensPerSecond);
    gauge(
        sb,
        "seqpar_exposed_comm_seconds",
        "Largest exposed communication time of the last step.",
        lastExposedSeconds);
    gauge(
        sb,
        "seqpar_last_step_completed_timestamp_seconds",
        "Unix time when the last step completed on every rank.",
        lastStepTimestampS);
    family(sb, "seqpar_step_duration_seconds", "histogram", "Step wall time (slowest rank).");
    stepDuration.render(sb, "seqpar_step_duration_seconds", "");
    family(
        sb,
        "seqpar_collective_duration_seconds",
        "histogram",
        "Time per collective (slowest rank).");
    collectiveDuration.forEach(
        (k, h) -> h.render(sb, "seqpar_collective_duration_seconds", labels(k)));
    family(sb, "seqpar_collective_bytes_total", "counter", "Bytes sent per collective, all ranks.");
    collectiveBytes.forEach(
        (k, v) ->
            sb.append("seqpar_collective_bytes_total{")
                .append(labels(k))
                .append("} ")
                .append(v)
                .append('\n'));
    return sb.toString();
  }

  private static String labels(final String collectiveSlashAlgorithm) {
    final int slash = collectiveSlashAlgorithm.indexOf('/');
    return "collective=\""
        + esc(collectiveSlashAlgorithm.substring(0, slash))
        + "\",algorithm=\""
        + esc(collectiveSlashAlgorithm.substring(slash + 1))
        + "\"";
  }

  private static void family(
      final StringBuilder sb, final String name, final String type, final String help) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void counter(
      final StringBuilder sb, final String name, final String help, final long v) {
    family(sb, name, "counter", help);
    sb.append(name).append(' ').append(v).append('\n');
  }

  private static void gauge(
      final StringBuilder sb, final String name, final String help, final double v) {
    family(sb, name, "gauge", help);
    sb.append(name).append(' ').append(fmt(v)).append('\n');
  }

  static String fmt(final double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    return Double.toString(v);
  }

  private static String esc(final String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  @Override
  public synchronized void close() {
    if (jsonl != null) {
      try {
        jsonl.close();
      } catch (final IOException e) {
        throw new UncheckedIOException("metrics: cannot close JSONL file", e);
      }
    }
  }

  /** A cumulative histogram over {@link #BUCKETS_S}. */
  private static final class Histogram {
    private final long[] counts = new long[BUCKETS_S.length];
    private long count;
    private double sum;

    void observe(final double v) {
      for (int i = 0; i < BUCKETS_S.length; i++) {
        if (v <= BUCKETS_S[i]) {
          counts[i]++;
        }
      }
      count++;
      sum += v;
    }

    void render(final StringBuilder sb, final String name, final String labels) {
      final String sep = labels.isEmpty() ? "" : labels + ",";
      for (int i = 0; i < BUCKETS_S.length; i++) {
        sb.append(name).append("_bucket{").append(sep).append("le=\"").append(fmt(BUCKETS_S[i]));
        sb.append("\"} ").append(counts[i]).append('\n');
      }
      sb.append(name)
          .append("_bucket{")
          .append(sep)
          .append("le=\"+Inf\"} ")
          .append(count)
          .append('\n');
      final String l = labels.isEmpty() ? "" : "{" + labels + "}";
      sb.append(name).append("_sum").append(l).append(' ').append(fmt(sum)).append('\n');
      sb.append(name).append("_count").append(l).append(' ').append(count).append('\n');
    }
  }
}
