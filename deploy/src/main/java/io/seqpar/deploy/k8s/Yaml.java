package io.seqpar.deploy.k8s;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.RepresentToNode;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.representer.StandardRepresenter;

/** Writes manifests as block-style YAML; multi-line strings (the job spec) as literal blocks. */
public final class Yaml {
  private Yaml() {}

  /** One document. */
  public static String dump(final Map<String, Object> doc) {
    final DumpSettings settings =
        DumpSettings.builder()
            .setDefaultFlowStyle(FlowStyle.BLOCK)
            .setIndent(2)
            .setIndicatorIndent(2)
            .setIndentWithIndicator(true)
            .setWidth(120)
            .build();
    return new Dump(settings, new LiteralRepresenter(settings)).dumpToString(doc);
  }

  /** Several documents, each starting with {@code ---}. */
  public static String dumpAll(final List<Map<String, Object>> docs) {
    final StringBuilder out = new StringBuilder();
    for (final Map<String, Object> doc : docs) {
      out.append("---\n").append(dump(doc));
    }
    return out.toString();
  }

  /**
   * Plain scalars that YAML 1.2 reads as strings but YAML 1.1 (kubectl's parser) reads as booleans
   * or null, e.g. a pod condition's {@code status: "True"}: always quoted.
   */
  private static final Pattern YAML11_SPECIAL =
      Pattern.compile("(?i)y|yes|n|no|true|false|on|off|null|~");

  private static final class LiteralRepresenter extends StandardRepresenter {
    LiteralRepresenter(final DumpSettings settings) {
      super(settings);
      final RepresentToNode plain = representers.get(String.class);
      representers.put(
          String.class,
          data -> {
            final String s = (String) data;
            if (s.contains("\n")) {
              return representScalar(Tag.STR, s, ScalarStyle.LITERAL);
            }
            if (YAML11_SPECIAL.matcher(s).matches()) {
              return representScalar(Tag.STR, s, ScalarStyle.DOUBLE_QUOTED);
            }
            return plain.representData(data);
          });
    }
  }
}
