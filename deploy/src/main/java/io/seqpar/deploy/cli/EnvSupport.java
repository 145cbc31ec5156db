package io.seqpar.deploy.cli;

import io.seqpar.config.SeqparContext;
import java.util.Map;

/** The one place the CLI reads the process environment; tests swap the map. */
final class EnvSupport {
  private static volatile Map<String, String> env = System.getenv();

  private EnvSupport() {}

  /** The {@code SEQPAR_*} contract from the current environment (not yet concluded). */
  static SeqparContext context() {
    return SeqparContext.fromEnv(env);
  }

  /** One raw variable, or null. */
  static String get(final String name) {
    final String v = env.get(name);
    return v == null || v.isBlank() ? null : v;
  }

  /** One variable of the current environment, or null. */
  static String variable(final String name) {
    return env.get(name);
  }

  /** Replaces the environment seen by commands (tests only). */
  static void overrideForTests(final Map<String, String> replacement) {
    env = replacement;
  }
}
