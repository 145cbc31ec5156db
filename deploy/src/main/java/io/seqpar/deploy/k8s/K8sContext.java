package io.seqpar.deploy.k8s;

import io.seqpar.InvalidInputException;
import io.seqpar.config.SeqparContext;
import io.seqpar.coordinator.job.JobSpecValidator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@link ManifestRenderer} needs besides the job spec: object names, image, worker count,
 * resources and restart budget. {@link #conclude()} validates and names the flag, the value and
 * what is allowed.
 */
public final class K8sContext {
  /**
   * Longest job name: JobSet pod hostnames are {@code <name>-coordinator-0-0} and {@code
   * <name>-workers-0-<index>}, and a hostname is one DNS label (63 characters).
   */
  public static final int MAX_NAME_LENGTH = 63 - "-coordinator-0-0".length();

  /** The port the coordinator serves Prometheus {@code /metrics} on inside the pod. */
  public static final int DEFAULT_METRICS_PORT = 9464;

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern CPU = Pattern.compile("([0-9]+)m|([0-9]+(\\.[0-9]+)?)");
  private static final Pattern MEMORY = Pattern.compile("([0-9]+)(Mi|Gi)");

  private String name;
  private String namespace;
  private String image;
  private String imagePullPolicy = "IfNotPresent";
  private int workers;
  private Shape shape = Shape.JOBSET;
  private String workerCpu = "2";
  private String workerMemory = "2Gi";
  private String coordinatorCpu = "1";
  private String coordinatorMemory = "1Gi";
  private int termLength = ShmSizing.DEFAULT_TERM_LENGTH;
  private int maxRestarts = 3;
  private String tokenSecret;
  private final int port = SeqparContext.DEFAULT_COORDINATOR_PORT;
  private final int metricsPort = DEFAULT_METRICS_PORT;

  /** Validates every field; returns this. */
  public K8sContext conclude() {
    if (name == null || !NAME.matcher(name).matches() || name.length() > MAX_NAME_LENGTH) {
      throw bad("--name", name, "a DNS label of 1.." + MAX_NAME_LENGTH + " chars [a-z0-9-]");
    }
    if (namespace != null && (!NAME.matcher(namespace).matches() || namespace.length() > 63)) {
      throw bad("--namespace", namespace, "a DNS label");
    }
    if (image == null || image.isBlank() || image.chars().anyMatch(Character::isWhitespace)) {
      throw bad("--image", image, "a container image reference, e.g. registry/seqpar:0.1.0");
    }
    if (!java.util.Set.of("Always", "IfNotPresent", "Never").contains(imagePullPolicy)) {
      throw bad("--image-pull-policy", imagePullPolicy, "Always|IfNotPresent|Never");
    }
    if (workers < 1 || workers > JobSpecValidator.MAX_WORLD_SIZE) {
      throw bad("--workers", workers, "1.." + JobSpecValidator.MAX_WORLD_SIZE);
    }
    cpuThreads("--worker-cpu", workerCpu);
    cpuThreads("--coordinator-cpu", coordinatorCpu);
    mebibytes("--worker-memory", workerMemory);
    mebibytes("--coordinator-memory", coordinatorMemory);
    if (Integer.bitCount(termLength) != 1 || termLength < (1 << 20) || termLength > (1 << 30)) {
      throw bad("--term-length", termLength, "a power of two in [1 MiB, 1 GiB] (bytes)");
    }
    if (maxRestarts < 0) {
      throw bad("--max-restarts", maxRestarts, ">= 0");
    }
    if (tokenSecret != null && !NAME.matcher(tokenSecret).matches()) {
      throw bad("--token-secret", tokenSecret, "the name of an existing Secret (a DNS label)");
    }
    return this;
  }

  /**
   * Whole compute threads for a CPU quantity ({@code 2}, {@code 1.5}, {@code 500m}): ceil, >= 1.
   */
  static int cpuThreads(final String flag, final String cpu) {
    final Matcher m = cpu == null ? null : CPU.matcher(cpu);
    if (m == null || !m.matches()) {
      throw bad(flag, cpu, "a CPU quantity: 2, 1.5 or 500m");
    }
    final double cores =
        m.group(1) != null ? Long.parseLong(m.group(1)) / 1000.0 : Double.parseDouble(m.group(2));
    if (!(cores > 0)) {
      throw bad(flag, cpu, "> 0");
    }
    return (int) Math.max(1, Math.ceil(cores));
  }

  /** MiB in a memory quantity ({@code 512Mi}, {@code 2Gi}). */
  static long mebibytes(final String flag, final String memory) {
    final Matcher m = memory == null ? null : MEMORY.matcher(memory);
    if (m == null || !m.matches() || Long.parseLong(m.group(1)) < 1) {
      throw bad(flag, memory, "a memory quantity >= 1 in Mi or Gi, e.g. 512Mi, 2Gi");
    }
    return Long.parseLong(m.group(1)) * ("Gi".equals(m.group(2)) ? 1024 : 1);
  }

  private static InvalidInputException bad(
      final String flag, final Object value, final String allowed) {
    return new InvalidInputException(
        flag + ": '" + value + "' is not allowed (allowed: " + allowed + ")");
  }

  /**
   * The stable DNS name workers dial: the coordinator pod's hostname under the headless Service.
   */
  public String coordinatorHost() {
    return shape == Shape.JOBSET
        ? name + "-" + ManifestRenderer.COORDINATOR + "-0-0." + name
        : name + "-" + ManifestRenderer.COORDINATOR + "-0." + name;
  }

  /** The Secret holding the job token: the given one, or {@code <name>-token} rendered with it. */
  public String tokenSecretName() {
    return tokenSecret != null ? tokenSecret : name + "-token";
  }

  /** True if the Secret is rendered (no {@code --token-secret} given). */
  public boolean rendersTokenSecret() {
    return tokenSecret == null;
  }

  public String name() {
    return name;
  }

  public K8sContext name(final String v) {
    name = v;
    return this;
  }

  public String namespace() {
    return namespace;
  }

  public K8sContext namespace(final String v) {
    namespace = v;
    return this;
  }

  public String image() {
    return image;
  }

  public K8sContext image(final String v) {
    image = v;
    return this;
  }

  public String imagePullPolicy() {
    return imagePullPolicy;
  }

  public K8sContext imagePullPolicy(final String v) {
    imagePullPolicy = v;
    return this;
  }

  public int workers() {
    return workers;
  }

  public K8sContext workers(final int v) {
    workers = v;
    return this;
  }

  public Shape shape() {
    return shape;
  }

  public K8sContext shape(final Shape v) {
    shape = v;
    return this;
  }

  public String workerCpu() {
    return workerCpu;
  }

  public K8sContext workerCpu(final String v) {
    workerCpu = v;
    return this;
  }

  public String workerMemory() {
    return workerMemory;
  }

  public K8sContext workerMemory(final String v) {
    workerMemory = v;
    return this;
  }

  public String coordinatorCpu() {
    return coordinatorCpu;
  }

  public K8sContext coordinatorCpu(final String v) {
    coordinatorCpu = v;
    return this;
  }

  public String coordinatorMemory() {
    return coordinatorMemory;
  }

  public K8sContext coordinatorMemory(final String v) {
    coordinatorMemory = v;
    return this;
  }

  /** Aeron term length in bytes; sizes {@code /dev/shm} through {@link ShmSizing}. */
  public int termLength() {
    return termLength;
  }

  public K8sContext termLength(final int v) {
    termLength = v;
    return this;
  }

  public int maxRestarts() {
    return maxRestarts;
  }

  public K8sContext maxRestarts(final int v) {
    maxRestarts = v;
    return this;
  }

  public K8sContext tokenSecret(final String v) {
    tokenSecret = v;
    return this;
  }

  public int port() {
    return port;
  }

  public int metricsPort() {
    return metricsPort;
  }
}
