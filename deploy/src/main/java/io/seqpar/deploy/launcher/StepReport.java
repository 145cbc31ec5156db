package io.seqpar.deploy.launcher;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One step line in the stable, tool-parsable format of conventions §5: {@code step 12/50 |
 * loss=3.2141 | tok/s=41230 | comm exposed=3.1% | ...}. The launcher reads these from the
 * coordinator's output to drive {@link Progress}; unknown fields are kept, so the line can grow.
 *
 * @param step the step just finished, 1-based
 * @param totalSteps the steps in the job
 * @param loss the loss, NaN if absent
 * @param tokensPerS global tokens per second, NaN if absent
 * @param commExposedPct the share of step time spent waiting on communication, %, NaN if absent
 * @param fields every {@code key=value} field in line order
 */
public record StepReport(
    int step,
    int totalSteps,
    double loss,
    double tokensPerS,
    double commExposedPct,
    Map<String, String> fields) {
  private static final Pattern HEAD = Pattern.compile("^step (\\d+)/(\\d+)\\s*(\\|.*)?$");

  public StepReport {
    fields = Map.copyOf(fields);
  }

  /** The report in a line, or empty if the line is not a step line. */
  public static Optional<StepReport> parse(final String line) {
    final Matcher m = HEAD.matcher(line.strip());
    if (!m.matches()) {
      return Optional.empty();
    }
    final Map<String, String> fields = new LinkedHashMap<>();
    if (m.group(3) != null) {
      for (final String part : m.group(3).split("\\|")) {
        final int eq = part.indexOf('=');
        if (eq > 0) {
          fields.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
        }
      }
    }
    try {
      return Optional.of(
          new StepReport(
              Integer.parseInt(m.group(1)),
              Integer.parseInt(m.group(2)),
              number(fields.get("loss")),
              number(fields.get("tok/s")),
              number(fields.get("comm exposed")),
              fields));
    } catch (final NumberFormatException e) {
      return Optional.empty(); // a step count beyond int: not ours
    }
  }

  private static double number(final String v) {
    if (v == null) {
      return Double.NaN;
    }
    try {
      return Double.parseDouble(v.endsWith("%") ? v.substring(0, v.length() - 1) : v);
    } catch (final NumberFormatException e) {
      return Double.NaN;
    }
  }

  /** The canonical line: {@code step 12/50 | loss=3.2141 | tok/s=41230 | comm exposed=3.1%}. */
  public String format() {
    final StringBuilder b = new StringBuilder("step ").append(step).append('/').append(totalSteps);
    if (!Double.isNaN(loss)) {
      b.append(String.format(Locale.ROOT, " | loss=%.4f", loss));
    }
    if (!Double.isNaN(tokensPerS)) {
      b.append(String.format(Locale.ROOT, " | tok/s=%.0f", tokensPerS));
    }
    if (!Double.isNaN(commExposedPct)) {
      b.append(String.format(Locale.ROOT, " | comm exposed=%.1f%%", commExposedPct));
    }
    return b.toString();
  }
}
