package io.seqpar.coordinator.job;

import com.google.gson.Gson;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.seqpar.InvalidInputException;
import io.seqpar.proto.v1.JobSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Reads a {@link JobSpec} from JSON or YAML. Keys are the proto field names ({@code seq_len}) or
 * their JSON names ({@code seqLen}); unknown keys are errors, so a typo never silently becomes a
 * default. YAML is loaded as plain maps and lists and then read through the proto JSON mapping.
 */
public final class JobSpecParser {
  private JobSpecParser() {}

  /** Parses a file: {@code .json} as JSON, anything else as YAML (a superset of JSON). */
  public static JobSpec parseFile(final Path path) {
    final String text;
    try {
      text = Files.readString(path);
    } catch (final IOException e) {
      throw new InvalidInputException(
          "--job: cannot read job file " + path + ": " + e.getMessage(), e);
    }
    return path.toString().endsWith(".json")
        ? parseJson(text, path.toString())
        : parseYaml(text, path.toString());
  }

  /** Parses JSON text; {@code source} names the input in errors. */
  public static JobSpec parseJson(final String json, final String source) {
    final JobSpec.Builder b = JobSpec.newBuilder();
    try {
      JsonFormat.parser().merge(json, b);
    } catch (final InvalidProtocolBufferException | RuntimeException e) {
      String key = null;
      try {
        final com.google.gson.JsonElement tree = com.google.gson.JsonParser.parseString(json);
        if (tree.isJsonObject()) {
          key = locate(tree.getAsJsonObject(), JobSpec.newBuilder(), "");
        }
      } catch (final RuntimeException notJson) {
        // Not even JSON: the parser's own message is all there is.
      }
      throw new InvalidInputException(
          "job spec " + source + ": " + (key == null ? "" : "key '" + key + "': ") + e.getMessage(),
          e);
    }
    return b.build();
  }

  /**
   * The dotted path of the first key whose value the proto JSON mapping rejects (an unknown key, a
   * wrong type, a bad enum), found by merging one key at a time; null if each key alone is fine.
   */
  private static String locate(
      final com.google.gson.JsonObject obj,
      final com.google.protobuf.Message.Builder proto,
      final String prefix) {
    for (final java.util.Map.Entry<String, com.google.gson.JsonElement> e : obj.entrySet()) {
      final com.google.gson.JsonObject single = new com.google.gson.JsonObject();
      single.add(e.getKey(), e.getValue());
      try {
        JsonFormat.parser()
            .merge(single.toString(), proto.getDefaultInstanceForType().newBuilderForType());
      } catch (final InvalidProtocolBufferException | RuntimeException bad) {
        com.google.protobuf.Descriptors.FieldDescriptor f =
            proto.getDescriptorForType().findFieldByName(e.getKey());
        if (f == null) {
          for (final com.google.protobuf.Descriptors.FieldDescriptor c :
              proto.getDescriptorForType().getFields()) {
            if (c.getJsonName().equals(e.getKey())) {
              f = c;
            }
          }
        }
        if (f != null
            && f.getJavaType() == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.MESSAGE
            && !f.isRepeated()
            && e.getValue().isJsonObject()) {
          final String inner =
              locate(
                  e.getValue().getAsJsonObject(),
                  proto.newBuilderForField(f),
                  prefix + e.getKey() + ".");
          if (inner != null) {
            return inner;
          }
        }
        return prefix + e.getKey();
      }
    }
    return null;
  }

  /** Parses YAML text; {@code source} names the input in errors. */
  public static JobSpec parseYaml(final String yaml, final String source) {
    final Object tree;
    try {
      tree = new Load(LoadSettings.builder().setLabel(source).build()).loadFromString(yaml);
    } catch (final YamlEngineException e) {
      throw new InvalidInputException(
          "job spec " + source + ": not valid YAML: " + e.getMessage(), e);
    }
    if (!(tree instanceof java.util.Map)) {
      throw new InvalidInputException(
          "job spec " + source + ": expected a mapping at the top level");
    }
    return parseJson(new Gson().toJson(tree), source);
  }

  /** The spec as JSON (proto field names), e.g. for {@code seqpar job submit --dry-run}. */
  public static String toJson(final JobSpec spec) {
    try {
      return JsonFormat.printer().preservingProtoFieldNames().print(spec);
    } catch (final InvalidProtocolBufferException e) {
      throw new IllegalStateException("job spec is not printable as JSON", e);
    }
  }
}
