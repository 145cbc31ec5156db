package io.seqpar.deploy.k8s;

import static io.seqpar.deploy.k8s.Obj.map;

import io.seqpar.config.SeqparContext;
import io.seqpar.deploy.launcher.EnvContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The environment of the coordinator and worker containers: the {@code SEQPAR_*} contract that
 * {@code seqpar coordinator} and {@code seqpar worker} read through {@link SeqparContext}, with the
 * same names the local launcher sets ({@link EnvContract}). Identity comes from Kubernetes itself:
 * the rank from the Job completion index, the Aeron endpoint host from the pod IP, the restart
 * count from the JobSet restart attempt.
 */
public final class PodEnv {
  /**
   * The completion index of an Indexed Job's pod (also exported as {@code JOB_COMPLETION_INDEX}).
   */
  public static final String COMPLETION_INDEX_FIELD =
      "metadata.annotations['batch.kubernetes.io/job-completion-index']";

  /** How many times the JobSet has been restarted (the JobSet controller stamps it on each pod). */
  public static final String RESTART_ATTEMPT_FIELD =
      "metadata.annotations['jobset.sigs.k8s.io/restart-attempt']";

  /** The pod's own IP: the host a worker advertises for its Aeron UDP endpoint. */
  public static final String POD_IP_FIELD = "status.podIP";

  /** The Aeron directory inside the {@code /dev/shm} emptyDir. */
  public static final String AERON_DIR = "/dev/shm/aeron";

  /** Read by the {@code java} launcher itself (the container entrypoint has no shell). */
  public static final String JDK_JAVA_OPTIONS = "JDK_JAVA_OPTIONS";

  private PodEnv() {}

  /** The coordinator container's environment. */
  static List<Map<String, Object>> coordinator(final K8sContext ctx) {
    final List<Map<String, Object>> env = new ArrayList<>();
    env.add(value(SeqparContext.ENV_ROLE, role(SeqparContext.Role.COORDINATOR)));
    common(ctx, env);
    env.add(value(JDK_JAVA_OPTIONS, heapOptions(ctx.coordinatorMemory())));
    return env;
  }

  /** A worker container's environment. */
  static List<Map<String, Object>> worker(final K8sContext ctx) {
    final List<Map<String, Object>> env = new ArrayList<>();
    env.add(value(SeqparContext.ENV_ROLE, role(SeqparContext.Role.WORKER)));
    env.add(field(SeqparContext.ENV_RANK, COMPLETION_INDEX_FIELD));
    common(ctx, env);
    env.add(value(SeqparContext.ENV_COORDINATOR_ADDR, ctx.coordinatorHost()));
    env.add(field(SeqparContext.ENV_ENDPOINT_HOST, POD_IP_FIELD));
    env.add(value(EnvContract.AERON_DIR, AERON_DIR));
    // Pods talk UDP between hosts, each worker with its own media driver in AERON_DIR.
    env.add(value(EnvContract.TRANSPORT, "udp"));
    env.add(
        value(
            EnvContract.COMPUTE_THREADS,
            Integer.toString(K8sContext.cpuThreads("--worker-cpu", ctx.workerCpu()))));
    env.add(value(EnvContract.IDLE_STRATEGY, "backoff"));
    env.add(value(JDK_JAVA_OPTIONS, heapOptions(ctx.workerMemory())));
    return env;
  }

  private static void common(final K8sContext ctx, final List<Map<String, Object>> env) {
    env.add(value(SeqparContext.ENV_WORLD_SIZE, Integer.toString(ctx.workers())));
    env.add(value(SeqparContext.ENV_COORDINATOR_PORT, Integer.toString(ctx.port())));
    env.add(value(SeqparContext.ENV_JOB_ID, ctx.name()));
    env.add(
        map(
            "name",
            SeqparContext.ENV_TOKEN,
            "valueFrom",
            map(
                "secretKeyRef",
                map("name", ctx.tokenSecretName(), "key", ManifestRenderer.TOKEN_KEY))));
    if (ctx.shape() == Shape.JOBSET) {
      env.add(field(EnvContract.RESTART_COUNT, RESTART_ATTEMPT_FIELD));
    }
  }

  /**
   * The heap: three quarters of the container's own memory, leaving room for metaspace and stacks.
   */
  static String heapOptions(final String memory) {
    return "-Xmx" + K8sContext.mebibytes("memory", memory) * 3 / 4 + "m";
  }

  private static String role(final SeqparContext.Role role) {
    return role.name().toLowerCase(Locale.ROOT);
  }

  private static Map<String, Object> value(final String name, final String value) {
    return map("name", name, "value", value);
  }

  private static Map<String, Object> field(final String name, final String path) {
    return map("name", name, "valueFrom", map("fieldRef", map("fieldPath", path)));
  }
}
