package io.seqpar.deploy.launcher;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds the command line of a child JVM: this JVM's {@code java} and class path by default, the
 * flags every seqpar JVM needs, and the per-process thread caps that keep N JVMs on few cores from
 * starving each other (the analogue of torchrun setting {@code OMP_NUM_THREADS=1}).
 */
public final class JavaCommand {
  /** The flags bin/seqpar and the surefire argLine pass: Agrona's Unsafe, Vector API, FFM. */
  public static final List<String> SEQPAR_JVM_FLAGS =
      List.of(
          "--add-opens",
          "java.base/jdk.internal.misc=ALL-UNNAMED",
          "--add-opens",
          "java.base/java.nio=ALL-UNNAMED",
          "--add-modules",
          "jdk.incubator.vector",
          "--enable-native-access=ALL-UNNAMED");

  private String java = currentJava();
  private String classPath = System.getProperty("java.class.path");
  private final List<String> jvmFlags = new ArrayList<>();
  private int activeProcessors;
  private String mainClass;
  private final List<String> args = new ArrayList<>();

  /** The {@code java} of the running JVM. */
  public static String currentJava() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  public JavaCommand java(final String javaBinary) {
    java = javaBinary;
    return this;
  }

  public JavaCommand classPath(final String cp) {
    classPath = cp;
    return this;
  }

  public JavaCommand classPath(final List<Path> entries) {
    classPath = String.join(File.pathSeparator, entries.stream().map(Path::toString).toList());
    return this;
  }

  public JavaCommand jvmFlags(final List<String> flags) {
    jvmFlags.addAll(flags);
    return this;
  }

  /**
   * Caps the JVM at {@code n} processors: {@code -XX:ActiveProcessorCount} sizes the GC, JIT and
   * common ForkJoin pool from it; 0 leaves the JVM's own count.
   */
  public JavaCommand activeProcessors(final int n) {
    activeProcessors = n;
    return this;
  }

  public JavaCommand mainClass(final String cls) {
    mainClass = cls;
    return this;
  }

  public JavaCommand args(final List<String> more) {
    args.addAll(more);
    return this;
  }

  public List<String> build() {
    if (mainClass == null) {
      throw new IllegalStateException("java command: no main class");
    }
    final List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.addAll(jvmFlags);
    if (activeProcessors > 0) {
      cmd.add("-XX:ActiveProcessorCount=" + activeProcessors);
      cmd.add("-Djava.util.concurrent.ForkJoinPool.common.parallelism=" + activeProcessors);
    }
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }

  /**
   * The compute threads each of {@code processes} JVMs gets on this host: the cores divided evenly,
   * at least one.
   */
  public static int computeThreadsPerProcess(final int processes) {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, processes));
  }

  /** The env side of the thread caps: compute threads and a non-spinning Aeron idle strategy. */
  public static Map<String, String> threadCapEnv(final int computeThreads) {
    return Map.of(
        EnvContract.COMPUTE_THREADS,
        Integer.toString(computeThreads),
        EnvContract.IDLE_STRATEGY,
        "backoff");
  }
}
