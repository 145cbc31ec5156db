package io.seqpar.deploy.launcher;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The coordinator's metrics JSONL of a run, read back for the summary and the loss curve. A step
 * that appears twice (a restarted attempt repeated it) counts once, with its last record.
 */
public final class MetricsLog {
  /** One aggregated step. */
  public record Step(
      long step,
      double loss,
      long tokens,
      double seconds,
      double exposedSeconds,
      long bytes,
      Map<String, Double> collectiveSeconds) {}

  private MetricsLog() {}

  /** The steps in the file, ordered by step; empty if the file does not exist. */
  public static List<Step> read(final Path jsonl) {
    final TreeMap<Long, Step> steps = new TreeMap<>();
    final List<String> lines;
    try {
      lines = Files.readAllLines(jsonl, StandardCharsets.UTF_8);
    } catch (final NoSuchFileException e) {
      return List.of();
    } catch (final IOException e) {
      throw new java.io.UncheckedIOException("cannot read metrics " + jsonl, e);
    }
    for (final String line : lines) {
      if (line.isBlank()) {
        continue;
      }
      final JsonObject o;
      try {
        o = JsonParser.parseString(line).getAsJsonObject();
      } catch (final RuntimeException e) {
        continue; // a line cut by a crash: the summary uses the complete ones
      }
      if (!o.has("event") || !"step".equals(o.get("event").getAsString())) {
        continue;
      }
      final Map<String, Double> coll = new TreeMap<>();
      if (o.has("collectives")) {
        for (final Map.Entry<String, JsonElement> e : o.getAsJsonObject("collectives").entrySet()) {
          final String name = e.getKey().contains("/") ? e.getKey().split("/")[0] : e.getKey();
          coll.merge(name, num(e.getValue().getAsJsonObject().get("duration_s")), Double::sum);
        }
      }
      final long step = o.get("step").getAsLong();
      steps.put(
          step,
          new Step(
              step,
              num(o.get("loss")),
              o.get("tokens").getAsLong(),
              num(o.get("step_duration_s")),
              num(o.get("exposed_comm_s")),
              o.get("bytes_sent_b").getAsLong(),
              coll));
    }
    return new ArrayList<>(steps.values());
  }

  private static double num(final JsonElement e) {
    return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
  }
}
