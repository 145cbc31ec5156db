package io.seqpar.coordinator;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser for the Prometheus text exposition format 0.0.4: every sample must belong to a
 * family declared by {@code # TYPE} (histogram samples via _bucket/_sum/_count), names and labels
 * must be well formed, values must be floats. Returns "name{labels}" -> value.
 */
final class PrometheusText {
  private static final Pattern SAMPLE =
      Pattern.compile(
          "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{((?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*)\\})? (\\S+)( -?\\d+)?");
  private static final Pattern TYPE =
      Pattern.compile(
          "# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");

  private PrometheusText() {}

  static Map<String, Double> parse(final String text) {
    final Map<String, String> types = new HashMap<>();
    final Map<String, Double> samples = new LinkedHashMap<>();
    int lineNo = 0;
    for (final String line : text.split("\n", -1)) {
      lineNo++;
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("# TYPE")) {
        final Matcher m = TYPE.matcher(line);
        if (!m.matches() || types.put(m.group(1), m.group(2)) != null) {
          throw new AssertionError("line " + lineNo + ": bad or repeated TYPE: " + line);
        }
        continue;
      }
      if (line.startsWith("# HELP ") || line.startsWith("#")) {
        continue;
      }
      final Matcher m = SAMPLE.matcher(line);
      if (!m.matches()) {
        throw new AssertionError("line " + lineNo + ": not a sample: " + line);
      }
      final String name = m.group(1);
      final String family = family(name, types);
      if (family == null) {
        throw new AssertionError("line " + lineNo + ": sample " + name + " has no # TYPE");
      }
      final double value =
          switch (m.group(4)) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(m.group(4));
          };
      final String key = name + (m.group(3) == null ? "" : "{" + m.group(3) + "}");
      if (samples.put(key, value) != null) {
        throw new AssertionError("line " + lineNo + ": duplicate series " + key);
      }
    }
    return samples;
  }

  private static String family(final String name, final Map<String, String> types) {
    if (types.containsKey(name)) {
      return name;
    }
    for (final String suffix : new String[] {"_bucket", "_sum", "_count"}) {
      if (name.endsWith(suffix)) {
        final String base = name.substring(0, name.length() - suffix.length());
        if ("histogram".equals(types.get(base)) || "summary".equals(types.get(base))) {
          return base;
        }
      }
    }
    return null;
  }
}
