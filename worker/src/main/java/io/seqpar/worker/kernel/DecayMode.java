package io.seqpar.worker.kernel;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How the recurrent state decays between tokens: {@code S_t = diag(a_t) S_{t-1} + k_tᵀ v_t}.
 *
 * <ul>
 *   <li>{@link #PLAIN}: {@code a_t = 1};
 *   <li>{@link #CONST_DECAY}: {@code a_t = λ_h}, one constant per head (RetNet, Lightning);
 *   <li>{@link #GLA}: {@code a_t = exp(g_t)}, a data-dependent log-gate per key dim.
 * </ul>
 */
public enum DecayMode {
  PLAIN("plain"),
  CONST_DECAY("const_decay"),
  GLA("gla");

  private final String id;

  DecayMode(final String id) {
    this.id = id;
  }

  /** The name used in job specs, CLI flags and oracle manifests. */
  public String id() {
    return id;
  }

  /** The mode named {@code id}; the exception lists the allowed names. */
  public static DecayMode fromId(final String id) {
    for (final DecayMode m : values()) {
      if (m.id.equals(id)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "decay mode '"
            + id
            + "' (allowed: "
            + Arrays.stream(values()).map(DecayMode::id).collect(Collectors.joining(", "))
            + ")");
  }
}
