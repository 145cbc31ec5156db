package io.seqpar.coordinator.metrics;

import java.util.Locale;
import java.util.Map;

/**
 * The per-step console line in the stable format of conventions §5, one per step completed by every
 * rank:
 *
 * <pre>
 *   step 12/50 | loss=3.2141 | tok/s=41230 | comm exposed=3.1% | step_ms=812.4 |
 *     scan_fwd_ms=4.1 | scan_bwd_ms=6.0 | allreduce_ms=20.3 | bytes/step=1843200
 * </pre>
 *
 * The step is 1-based (steps finished); collective times are the slowest rank's exposed time. Tools
 * parse {@code key=value} fields split on {@code |}; new fields are only ever appended.
 */
public final class StepLine {
  private StepLine() {}

  public static String format(final StepSummary s, final long totalSteps) {
    final StringBuilder b = new StringBuilder(160);
    b.append(String.format(Locale.ROOT, "step %d/%d", s.step() + 1, totalSteps));
    b.append(String.format(Locale.ROOT, " | loss=%.4f", s.loss()));
    b.append(String.format(Locale.ROOT, " | tok/s=%.0f", s.tokensPerSecond()));
    final double exposedPct =
        s.stepSeconds() > 0 ? 100.0 * s.exposedCommSeconds() / s.stepSeconds() : 0;
    b.append(String.format(Locale.ROOT, " | comm exposed=%.1f%%", exposedPct));
    b.append(String.format(Locale.ROOT, " | step_ms=%.1f", s.stepSeconds() * 1e3));
    for (final Map.Entry<String, Double> e : s.collectiveSeconds().entrySet()) {
      final String name = e.getKey().contains("/") ? e.getKey().split("/")[0] : e.getKey();
      b.append(String.format(Locale.ROOT, " | %s_ms=%.1f", name, e.getValue() * 1e3));
    }
    b.append(" | bytes/step=").append(s.bytesSent());
    return b.toString();
  }
}
