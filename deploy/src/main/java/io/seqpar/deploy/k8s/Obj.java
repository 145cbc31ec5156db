package io.seqpar.deploy.k8s;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builders for the plain map/list trees the manifests are made of (insertion-ordered). */
final class Obj {
  private Obj() {}

  /** A map from alternating keys and values; entries whose value is null are left out. */
  static Map<String, Object> map(final Object... kv) {
    if (kv.length % 2 != 0) {
      throw new IllegalArgumentException("map: odd number of arguments");
    }
    final Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      if (kv[i + 1] != null) {
        m.put((String) kv[i], kv[i + 1]);
      }
    }
    return m;
  }

  /** A list of the non-null items. */
  static List<Object> list(final Object... items) {
    final List<Object> l = new ArrayList<>();
    Arrays.stream(items).filter(java.util.Objects::nonNull).forEach(l::add);
    return l;
  }
}
