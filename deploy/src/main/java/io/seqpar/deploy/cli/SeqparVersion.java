package io.seqpar.deploy.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the version baked into the jar manifest (the Maven project version in dev builds). */
public final class SeqparVersion implements IVersionProvider {
  @Override
  public String[] getVersion() {
    final String v = SeqparVersion.class.getPackage().getImplementationVersion();
    return new String[] {
      "seqpar " + (v == null ? "0.1.0-SNAPSHOT" : v),
      "JVM " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
    };
  }
}
