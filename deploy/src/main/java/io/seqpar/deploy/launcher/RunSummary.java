package io.seqpar.deploy.launcher;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * The end-of-run summary: steps, tokens, loss first → last, throughput, the time per collective and
 * the exposed communication share, bytes moved per step, and where the outputs are.
 *
 * @param steps steps completed
 * @param tokens tokens processed in total
 * @param lossFirst the first step's loss
 * @param lossLast the last step's loss
 * @param wall the training wall time
 * @param collectiveSeconds total seconds per collective, e.g. {@code allScan -> 1.9}
 * @param exposedCommShare the share of step time waiting on communication, 0..1
 * @param bytesPerStep bytes sent per step, summed over ranks
 * @param run the run directory (metrics, logs, checkpoints)
 * @param finalWeights the saved weights, or null
 */
public record RunSummary(
    int steps,
    long tokens,
    double lossFirst,
    double lossLast,
    Duration wall,
    Map<String, Double> collectiveSeconds,
    double exposedCommShare,
    long bytesPerStep,
    RunDirectory run,
    Path finalWeights) {

  public RunSummary {
    collectiveSeconds = Map.copyOf(collectiveSeconds);
  }

  public void print(final PrintStream out) {
    final double secs = Math.max(wall.toNanos() / 1e9, 1e-9);
    out.println("summary:");
    out.printf(Locale.ROOT, "  steps        %d%n", steps);
    out.printf(
        Locale.ROOT, "  tokens       %d (%.0f tok/s over %.1f s)%n", tokens, tokens / secs, secs);
    out.printf(Locale.ROOT, "  loss         %.4f -> %.4f%n", lossFirst, lossLast);
    collectiveSeconds.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e ->
                out.printf(
                    Locale.ROOT,
                    "  %-12s %.3f s total, %.2f ms/step%n",
                    e.getKey(),
                    e.getValue(),
                    steps == 0 ? 0.0 : e.getValue() * 1e3 / steps));
    out.printf(Locale.ROOT, "  comm exposed %.1f%% of step time%n", exposedCommShare * 100);
    out.printf(Locale.ROOT, "  bytes/step   %d%n", bytesPerStep);
    out.println("  metrics      " + run.metrics());
    out.println("  logs         " + run.logs());
    out.println("  checkpoints  " + run.checkpoints());
    if (finalWeights != null) {
      out.println("  weights      " + finalWeights);
    }
    out.flush();
  }
}
