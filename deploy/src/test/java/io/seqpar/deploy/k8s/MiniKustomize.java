package io.seqpar.deploy.k8s;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The subset of {@code kustomize build} the seqpar bases and overlays use, for machines without
 * kubectl or kustomize: {@code resources} (files and directories, recursively) and {@code patches}
 * whose file is a JSON 6902 patch (add, replace, remove, test) applied to the target kind and name.
 * Anything else in a kustomization fails loudly rather than being ignored.
 */
final class MiniKustomize {
  private MiniKustomize() {}

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> build(final Path dir) throws IOException {
    final Map<String, Object> k = (Map<String, Object>) load(dir.resolve("kustomization.yaml"));
    for (final String key : k.keySet()) {
      if (!List.of("apiVersion", "kind", "resources", "patches").contains(key)) {
        throw new IllegalStateException(
            dir + ": kustomization field '" + key + "' is not supported here");
      }
    }
    final List<Map<String, Object>> out = new ArrayList<>();
    for (final Object r : (List<Object>) k.getOrDefault("resources", List.of())) {
      final Path p = dir.resolve((String) r).normalize();
      if (Files.isDirectory(p)) {
        out.addAll(build(p));
      } else {
        out.addAll(StrictKubernetes.documents(Files.readString(p)));
      }
    }
    for (final Object o : (List<Object>) k.getOrDefault("patches", List.of())) {
      final Map<String, Object> patch = (Map<String, Object>) o;
      final Map<String, Object> target = (Map<String, Object>) patch.get("target");
      final List<Object> ops = (List<Object>) load(dir.resolve((String) patch.get("path")));
      final List<Map<String, Object>> hits =
          out.stream()
              .filter(d -> Objects.equals(d.get("kind"), target.get("kind")))
              .filter(
                  d ->
                      Objects.equals(
                          ((Map<String, Object>) d.get("metadata")).get("name"),
                          target.get("name")))
              .toList();
      if (hits.isEmpty()) {
        throw new IllegalStateException(dir + ": patch target not found: " + target);
      }
      hits.forEach(d -> ops.forEach(op -> apply(d, (Map<String, Object>) op)));
    }
    return out;
  }

  private static Object load(final Path file) throws IOException {
    return new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
  }

  @SuppressWarnings("unchecked")
  private static void apply(final Map<String, Object> doc, final Map<String, Object> op) {
    final String[] path = ((String) op.get("path")).substring(1).split("/", -1);
    Object parent = doc;
    for (int i = 0; i < path.length - 1; i++) {
      parent = child(parent, unescape(path[i]), op);
    }
    final String last = unescape(path[path.length - 1]);
    final Object value = op.get("value");
    switch ((String) op.get("op")) {
      case "add" -> {
        if (parent instanceof List<?> l) {
          ((List<Object>) l).add(last.equals("-") ? l.size() : Integer.parseInt(last), value);
        } else {
          ((Map<String, Object>) parent).put(last, value);
        }
      }
      case "replace" -> {
        child(parent, last, op);
        if (parent instanceof List<?> l) {
          ((List<Object>) l).set(Integer.parseInt(last), value);
        } else {
          ((Map<String, Object>) parent).put(last, value);
        }
      }
      case "remove" -> {
        child(parent, last, op);
        if (parent instanceof List<?> l) {
          l.remove(Integer.parseInt(last));
        } else {
          ((Map<String, Object>) parent).remove(last);
        }
      }
      case "test" -> {
        if (!Objects.equals(child(parent, last, op), value)) {
          throw new IllegalStateException("JSON patch test failed: " + op);
        }
      }
      default -> throw new IllegalStateException("unsupported JSON patch op: " + op);
    }
  }

  private static Object child(final Object parent, final String key, final Map<String, Object> op) {
    final Object c =
        parent instanceof List<?> l ? l.get(Integer.parseInt(key)) : ((Map<?, ?>) parent).get(key);
    if (c == null) {
      throw new IllegalStateException("JSON patch path does not exist: " + op);
    }
    return c;
  }

  private static String unescape(final String s) {
    return s.replace("~1", "/").replace("~0", "~");
  }
}
