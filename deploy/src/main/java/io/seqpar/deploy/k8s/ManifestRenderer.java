package io.seqpar.deploy.k8s;

import static io.seqpar.deploy.k8s.Obj.list;
import static io.seqpar.deploy.k8s.Obj.map;

import io.seqpar.coordinator.job.JobSpecParser;
import io.seqpar.proto.v1.JobSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Renders the objects that run one job on Kubernetes (conventions §1.7), as map trees ready for
 * {@link Yaml#dumpAll}:
 *
 * <ul>
 *   <li>{@link Shape#JOBSET}: a JobSet with a {@code coordinator} replicated job (1 pod) and a
 *       {@code workers} replicated job (one Indexed Job of N pods). Success = the coordinator
 *       completes; any other child-Job failure restarts the whole gang (counted against {@code
 *       maxRestarts}), except evictions and node drains (DisruptionTarget), which restart it for
 *       free.
 *   <li>{@link Shape#INDEXED_JOB}: no CRD; a headless Service, a one-pod Indexed Job for the
 *       coordinator and an Indexed Job of N workers. Disruptions replace the pod; any other failure
 *       fails the Job, and a gang restart means resubmitting both.
 * </ul>
 *
 * Both carry the validated job spec as a ConfigMap (mounted read-only into the coordinator), the
 * job token Secret (unless an existing one is named), and a NetworkPolicy that admits only the
 * job's own pods (UDP for Aeron, TCP for gRPC).
 */
public final class ManifestRenderer {
  public static final String COORDINATOR = "coordinator";
  public static final String WORKERS = "workers";
  public static final String WORKER = "worker";

  /** Where the coordinator reads the job spec. */
  public static final String JOB_DIR = "/etc/seqpar";

  public static final String JOB_KEY = "job.json";
  public static final String TOKEN_KEY = "token";

  public static final String LABEL_NAME = "app.kubernetes.io/name";
  public static final String LABEL_INSTANCE = "app.kubernetes.io/instance";
  public static final String LABEL_ROLE = "seqpar.io/role";
  public static final String APP = "seqpar";

  /** The container user of both images ({@code deploy/docker}). */
  public static final long RUN_AS_USER = 10001;

  /** Seconds a pod gets after SIGTERM to flush metrics and close Aeron cleanly. */
  public static final long TERMINATION_GRACE_SECONDS = 30;

  private static final String POD_FAILURE_REASON = "PodFailurePolicy";

  private final K8sContext ctx;
  private final JobSpec spec;
  private final Supplier<String> tokens;

  /** {@code ctx} concluded, {@code spec} validated; {@code tokens} makes a new job token. */
  public ManifestRenderer(final K8sContext ctx, final JobSpec spec, final Supplier<String> tokens) {
    this.ctx = ctx;
    this.spec = spec;
    this.tokens = tokens;
  }

  /** Every object, in apply order. */
  public List<Map<String, Object>> render() {
    final List<Map<String, Object>> docs = new ArrayList<>();
    if (ctx.rendersTokenSecret()) {
      docs.add(secret());
    }
    docs.add(configMap());
    docs.add(networkPolicy());
    if (ctx.shape() == Shape.JOBSET) {
      docs.add(jobSet());
    } else {
      docs.add(headlessService());
      docs.add(job(ctx.name() + "-" + COORDINATOR, COORDINATOR, 1, coordinatorPod()));
      docs.add(job(ctx.name() + "-" + WORKERS, WORKER, ctx.workers(), workerPod()));
    }
    return docs;
  }

  private Map<String, Object> metadata(final String name, final String role) {
    return map("name", name, "namespace", ctx.namespace(), "labels", labels(role));
  }

  private Map<String, Object> labels(final String role) {
    return map(LABEL_NAME, APP, LABEL_INSTANCE, ctx.name(), LABEL_ROLE, role);
  }

  private Map<String, Object> jobSelector() {
    return map(LABEL_NAME, APP, LABEL_INSTANCE, ctx.name());
  }

  private Map<String, Object> secret() {
    return map(
        "apiVersion", "v1",
        "kind", "Secret",
        "metadata", metadata(ctx.tokenSecretName(), null),
        "type", "Opaque",
        "stringData", map(TOKEN_KEY, tokens.get()));
  }

  private Map<String, Object> configMap() {
    return map(
        "apiVersion",
        "v1",
        "kind",
        "ConfigMap",
        "metadata",
        metadata(configMapName(), null),
        "data",
        map(JOB_KEY, JobSpecParser.toJson(spec) + "\n"));
  }

  private String configMapName() {
    return ctx.name() + "-job";
  }

  private Map<String, Object> networkPolicy() {
    final Map<String, Object> peers = map("podSelector", map("matchLabels", jobSelector()));
    return map(
        "apiVersion",
        "networking.k8s.io/v1",
        "kind",
        "NetworkPolicy",
        "metadata",
        metadata(ctx.name(), null),
        "spec",
        map(
            "podSelector", map("matchLabels", jobSelector()),
            "policyTypes", list("Ingress"),
            "ingress",
                list(
                    map(
                        "from", list(peers),
                        "ports",
                            list(
                                map("protocol", "UDP", "port", 1024, "endPort", 65535),
                                map("protocol", "TCP", "port", ctx.port()))))));
  }

  private Map<String, Object> headlessService() {
    return map(
        "apiVersion",
        "v1",
        "kind",
        "Service",
        "metadata",
        metadata(ctx.name(), null),
        "spec",
        map(
            "clusterIP",
            "None",
            "publishNotReadyAddresses",
            true,
            "selector",
            jobSelector(),
            "ports",
            list(map("name", "grpc", "port", ctx.port(), "protocol", "TCP"))));
  }

  private Map<String, Object> jobSet() {
    return map(
        "apiVersion",
        "jobset.x-k8s.io/v1alpha2",
        "kind",
        "JobSet",
        "metadata",
        metadata(ctx.name(), null),
        "spec",
        map(
            "coordinator", map("replicatedJob", COORDINATOR, "jobIndex", 0, "podIndex", 0),
            "network",
                map(
                    "enableDNSHostnames", true,
                    "subdomain", ctx.name(),
                    "publishNotReadyAddresses", true),
            "successPolicy", map("operator", "All", "targetReplicatedJobs", list(COORDINATOR)),
            "failurePolicy",
                map(
                    "maxRestarts", ctx.maxRestarts(),
                    "rules",
                        list(
                            map(
                                "name", "disruptionsRestartForFree",
                                "action", "RestartJobSetAndIgnoreMaxRestarts",
                                "onJobFailureReasons", list(POD_FAILURE_REASON)))),
            "replicatedJobs",
                list(
                    map(
                        "name",
                        COORDINATOR,
                        "replicas",
                        1,
                        "template",
                        jobTemplate(COORDINATOR, 1, coordinatorPod())),
                    map(
                        "name",
                        WORKERS,
                        "replicas",
                        1,
                        "template",
                        jobTemplate(WORKER, ctx.workers(), workerPod())))));
  }

  private Map<String, Object> job(
      final String name, final String role, final int pods, final Map<String, Object> pod) {
    final Map<String, Object> template = jobTemplate(role, pods, pod);
    return map(
        "apiVersion",
        "batch/v1",
        "kind",
        "Job",
        "metadata",
        metadata(name, role),
        "spec",
        template.get("spec"));
  }

  /**
   * An Indexed Job of {@code pods} pods that fails on the first pod failure ({@code backoffLimit:
   * 0}) and never runs a replacement next to the pod it replaces. Under a JobSet, a disruption
   * fails the Job with reason PodFailurePolicy (restarted for free); without one, it is ignored and
   * the pod replaced.
   */
  private Map<String, Object> jobTemplate(
      final String role, final int pods, final Map<String, Object> pod) {
    final String onDisruption = ctx.shape() == Shape.JOBSET ? "FailJob" : "Ignore";
    return map(
        "metadata", map("labels", labels(role)),
        "spec",
            map(
                "completions",
                pods,
                "parallelism",
                pods,
                "completionMode",
                "Indexed",
                "backoffLimit",
                0,
                "podReplacementPolicy",
                "Failed",
                "podFailurePolicy",
                map(
                    "rules",
                    list(
                        map(
                            "action",
                            onDisruption,
                            "onPodConditions",
                            list(map("type", "DisruptionTarget", "status", "True"))))),
                "template",
                pod));
  }

  private Map<String, Object> coordinatorPod() {
    final Map<String, Object> container =
        map(
            "name", COORDINATOR,
            "image", ctx.image(),
            "imagePullPolicy", ctx.imagePullPolicy(),
            "args",
                list(
                    COORDINATOR,
                    "--job",
                    JOB_DIR + "/" + JOB_KEY,
                    "--metrics-port",
                    Integer.toString(ctx.metricsPort())),
            "env", PodEnv.coordinator(ctx),
            "ports",
                list(
                    map("name", "grpc", "containerPort", ctx.port(), "protocol", "TCP"),
                    map("name", "metrics", "containerPort", ctx.metricsPort(), "protocol", "TCP")),
            "readinessProbe", map("grpc", map("port", ctx.port()), "periodSeconds", 5),
            "resources", resources(ctx.coordinatorCpu(), ctx.coordinatorMemory()),
            "securityContext", containerSecurity(),
            "volumeMounts",
                list(
                    map("name", "job", "mountPath", JOB_DIR, "readOnly", true),
                    map("name", "tmp", "mountPath", "/tmp")));
    return pod(
        COORDINATOR,
        container,
        list(
            map("name", "job", "configMap", map("name", configMapName())),
            map("name", "tmp", "emptyDir", map())));
  }

  private Map<String, Object> workerPod() {
    final long shmMib = ShmSizing.workerMib(ctx.workers(), ctx.termLength());
    final long memoryMib = K8sContext.mebibytes("--worker-memory", ctx.workerMemory()) + shmMib;
    final Map<String, Object> container =
        map(
            "name", WORKER,
            "image", ctx.image(),
            "imagePullPolicy", ctx.imagePullPolicy(),
            "args", list(WORKER),
            "env", PodEnv.worker(ctx),
            "resources", resources(ctx.workerCpu(), memoryMib + "Mi"),
            "securityContext", containerSecurity(),
            "volumeMounts",
                list(
                    map("name", "shm", "mountPath", "/dev/shm"),
                    map("name", "tmp", "mountPath", "/tmp")));
    return pod(
        WORKER,
        container,
        list(
            map("name", "shm", "emptyDir", map("medium", "Memory", "sizeLimit", shmMib + "Mi")),
            map("name", "tmp", "emptyDir", map())));
  }

  private Map<String, Object> pod(
      final String role, final Map<String, Object> container, final List<Object> volumes) {
    return map(
        "metadata", map("labels", labels(role)),
        "spec",
            map(
                "restartPolicy",
                "Never",
                // JobSet sets the subdomain itself (spec.network); the fallback names its Service.
                "subdomain",
                ctx.shape() == Shape.INDEXED_JOB ? ctx.name() : null,
                "terminationGracePeriodSeconds",
                TERMINATION_GRACE_SECONDS,
                "securityContext",
                map(
                    "runAsNonRoot", true,
                    "runAsUser", RUN_AS_USER,
                    "runAsGroup", RUN_AS_USER,
                    "fsGroup", RUN_AS_USER,
                    "seccompProfile", map("type", "RuntimeDefault")),
                "containers",
                list(container),
                "volumes",
                volumes));
  }

  private static Map<String, Object> containerSecurity() {
    return map(
        "allowPrivilegeEscalation", false,
        "readOnlyRootFilesystem", true,
        "capabilities", map("drop", list("ALL")));
  }

  /** Requests = limits: Guaranteed QoS, so the gang is the last thing evicted under pressure. */
  private static Map<String, Object> resources(final String cpu, final String memory) {
    final Map<String, Object> r = map("cpu", cpu, "memory", memory);
    return map("requests", r, "limits", map("cpu", cpu, "memory", memory));
  }
}
