package io.seqpar.deploy.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.cfg.MapperConfig;
import tools.jackson.databind.introspect.Annotated;
import tools.jackson.databind.introspect.JacksonAnnotationIntrospector;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.type.LogicalType;

/**
 * Parses manifests into typed Kubernetes objects and fails on anything the API would not accept as
 * written: fabric8's models (Jackson 3) with their catch-all {@code additionalProperties}
 * any-setter switched off and {@code FAIL_ON_UNKNOWN_PROPERTIES} on, so an unknown or misspelt
 * field throws; numbers and booleans are not coerced into string fields (an unquoted {@code value:
 * 4} in an env entry fails, as it does in the API server). JobSets go to {@link JobSetV1alpha2}.
 */
final class StrictKubernetes {
  /** The kinds seqpar renders, by {@code apiVersion/kind}. */
  static final Map<String, Class<?>> KINDS =
      Map.of(
          "v1/Secret", Secret.class,
          "v1/ConfigMap", ConfigMap.class,
          "v1/Service", Service.class,
          "batch/v1/Job", Job.class,
          "networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class,
          "jobset.x-k8s.io/v1alpha2/JobSet", JobSetV1alpha2.class);

  static final JsonMapper MAPPER =
      JsonMapper.builder()
          .annotationIntrospector(new NoAnySetter())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .withCoercionConfig(
              LogicalType.Textual,
              c ->
                  c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                      .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                      .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
          .build();

  private StrictKubernetes() {}

  /** Every document of a multi-document YAML stream, as plain maps (empty documents skipped). */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> documents(final String yaml) {
    final List<Map<String, Object>> docs = new ArrayList<>();
    for (final Object o : new Load(LoadSettings.builder().build()).loadAllFromString(yaml)) {
      if (o != null) {
        docs.add((Map<String, Object>) o);
      }
    }
    return docs;
  }

  /** One document as its typed object; throws on an unknown kind or field, or a type mismatch. */
  static Object typed(final Map<String, Object> doc) {
    final String key = doc.get("apiVersion") + "/" + doc.get("kind");
    final Class<?> type = KINDS.get(key);
    if (type == null) {
      throw new IllegalArgumentException("unexpected object " + key);
    }
    return MAPPER.convertValue(doc, type);
  }

  /** Every document of {@code yaml}, typed. */
  static List<Object> parseAll(final String yaml) {
    return documents(yaml).stream().map(StrictKubernetes::typed).toList();
  }

  /** Ignores {@code @JsonAnySetter}, so unknown properties reach FAIL_ON_UNKNOWN_PROPERTIES. */
  private static final class NoAnySetter extends JacksonAnnotationIntrospector {
    private static final long serialVersionUID = 1L;

    @Override
    public Boolean hasAnySetter(final MapperConfig<?> config, final Annotated a) {
      return Boolean.FALSE;
    }
  }
}
