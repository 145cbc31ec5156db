package io.seqpar.deploy.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.seqpar.config.SeqparContext;
import io.seqpar.coordinator.job.JobSpecParser;
import io.seqpar.coordinator.job.JobSpecValidator;
import io.seqpar.deploy.cli.SeqparMain;
import io.seqpar.deploy.launcher.EnvContract;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** {@code seqpar k8s render}: every object typed and strict, N ∈ {1, 4, 64}, both shapes. */
@Timeout(60)
class K8sRenderTest {
  static Stream<Arguments> shapes() {
    final List<Arguments> a = new ArrayList<>();
    for (final int n : new int[] {1, 4, 64}) {
      a.add(Arguments.of(n, "--jobset"));
      a.add(Arguments.of(n, "--indexed-job"));
    }
    return a.stream();
  }

  private static Manifests render(final int n, final String shape, final String... more) {
    final List<String> args =
        new ArrayList<>(
            List.of(
                "k8s",
                "render",
                "--workers",
                Integer.toString(n),
                "--image",
                "seqpar:test",
                shape));
    args.addAll(List.of(more));
    return Manifests.render(args.toArray(String[]::new));
  }

  @ParameterizedTest(name = "N={0} {1}")
  @MethodSource("shapes")
  void rendersTheGangAsTypedObjects(final int n, final String shape) {
    final Manifests m = render(n, shape);
    assertEquals(1, m.all(Secret.class).size());
    final ConfigMap cm = m.one(ConfigMap.class);
    final io.seqpar.proto.v1.JobSpec job =
        JobSpecParser.parseJson(cm.getData().get(ManifestRenderer.JOB_KEY), "configmap");
    assertEquals(n, job.getParallel().getWorldSize());
    new JobSpecValidator(p -> true).conclude(job);

    final List<JobSpec> jobs = new ArrayList<>();
    if (shape.equals("--jobset")) {
      final JobSetV1alpha2 js = m.one(JobSetV1alpha2.class);
      assertEquals(
          List.of("coordinator", "workers"),
          js.spec().replicatedJobs().stream().map(JobSetV1alpha2.ReplicatedJob::name).toList());
      js.spec().replicatedJobs().forEach(r -> assertEquals(1, r.replicas()));
      assertEquals(
          new JobSetV1alpha2.SuccessPolicy("All", List.of("coordinator")),
          js.spec().successPolicy());
      assertEquals(new JobSetV1alpha2.Coordinator("coordinator", 0, 0), js.spec().coordinator());
      assertEquals(
          new JobSetV1alpha2.Network(true, js.metadata().getName(), true), js.spec().network());
      final JobSetV1alpha2.FailurePolicyRule rule = js.spec().failurePolicy().rules().get(0);
      assertEquals("RestartJobSetAndIgnoreMaxRestarts", rule.action());
      assertEquals(List.of("PodFailurePolicy"), rule.onJobFailureReasons());
      assertTrue(JobSetV1alpha2.ACTIONS.contains(rule.action()));
      assertTrue(JobSetV1alpha2.FAILURE_REASONS.containsAll(rule.onJobFailureReasons()));
      assertEquals(3, js.spec().failurePolicy().maxRestarts());
      js.spec().replicatedJobs().forEach(r -> jobs.add(r.template().getSpec()));
      assertFalse(m.objects().stream().anyMatch(o -> o instanceof Service || o instanceof Job));
    } else {
      final Service svc = m.one(Service.class);
      assertEquals("None", svc.getSpec().getClusterIP());
      assertTrue(svc.getSpec().getPublishNotReadyAddresses());
      assertEquals(2, m.all(Job.class).size());
      m.all(Job.class).forEach(j -> jobs.add(j.getSpec()));
      for (final String role : List.of("coordinator", "worker")) {
        final PodTemplateSpec pod = m.pod(role);
        assertEquals(svc.getMetadata().getName(), pod.getSpec().getSubdomain());
        assertTrue(
            pod.getMetadata()
                .getLabels()
                .entrySet()
                .containsAll(svc.getSpec().getSelector().entrySet()),
            role);
      }
    }
    for (final JobSpec j : jobs) {
      assertEquals("Indexed", j.getCompletionMode());
      assertEquals(j.getCompletions(), j.getParallelism());
      assertEquals(0, j.getBackoffLimit());
      assertEquals("Failed", j.getPodReplacementPolicy());
      assertEquals(
          "DisruptionTarget",
          j.getPodFailurePolicy().getRules().get(0).getOnPodConditions().get(0).getType());
      assertEquals(
          shape.equals("--jobset") ? "FailJob" : "Ignore",
          j.getPodFailurePolicy().getRules().get(0).getAction());
      assertEquals("Never", j.getTemplate().getSpec().getRestartPolicy());
      assertTrue(j.getTemplate().getSpec().getSecurityContext().getRunAsNonRoot());
    }
    assertEquals(
        Set.copyOf(List.of(1, n)), Set.copyOf(jobs.stream().map(JobSpec::getCompletions).toList()));

    final NetworkPolicy np = m.one(NetworkPolicy.class);
    for (final String role : List.of("coordinator", "worker")) {
      assertTrue(
          m.pod(role)
              .getMetadata()
              .getLabels()
              .entrySet()
              .containsAll(np.getSpec().getPodSelector().getMatchLabels().entrySet()));
    }
    assertTrue(
        np.getSpec().getIngress().get(0).getPorts().stream()
            .anyMatch(p -> "UDP".equals(p.getProtocol())),
        "Aeron UDP admitted");
  }

  @ParameterizedTest(name = "N={0} {1}")
  @MethodSource("shapes")
  void sizesDevShmByTheFormula(final int n, final String shape) {
    final Manifests m = render(n, shape);
    final PodTemplateSpec worker = m.pod("worker");
    final long shmMib = ShmSizing.workerMib(n, ShmSizing.DEFAULT_TERM_LENGTH);
    final var shm =
        worker.getSpec().getVolumes().stream()
            .filter(v -> v.getName().equals("shm"))
            .findFirst()
            .orElseThrow();
    assertEquals("Memory", shm.getEmptyDir().getMedium());
    assertEquals(new Quantity(shmMib + "Mi"), shm.getEmptyDir().getSizeLimit());
    assertTrue(
        Manifests.container(worker).getVolumeMounts().stream()
            .anyMatch(v -> v.getName().equals("shm") && v.getMountPath().equals("/dev/shm")));
    assertEquals(
        new Quantity((2048 + shmMib) + "Mi"),
        Manifests.container(worker).getResources().getLimits().get("memory"));
    assertEquals(
        Math.max(64, 6L * (n - 1) * 4 + 16), shmMib, "2·(N−1)·3·term + 16 MiB, at least 64 MiB");
  }

  /** The names the processes read: SeqparContext's ENV_* plus the launcher's EnvContract. */
  static Set<String> declaredNames() throws IllegalAccessException {
    final Set<String> names = new HashSet<>();
    for (final Class<?> c : List.of(SeqparContext.class, EnvContract.class)) {
      for (final Field f : c.getFields()) {
        if (Modifier.isStatic(f.getModifiers())
            && f.getType() == String.class
            && ((String) f.get(null)).startsWith("SEQPAR_")) {
          names.add((String) f.get(null));
        }
      }
    }
    return names;
  }

  /** What a worker pod must carry (the local-run-only variables are not among them). */
  static Set<String> contextNames() {
    return Set.copyOf(SeqparContext.POD_VARIABLES);
  }

  /**
   * What {@code seqpar worker} / {@code seqpar coordinator} read ({@link SeqparContext#fromEnv},
   * then conclude) from the environment the manifests give each pod.
   */
  static void assertEnvContract(final Manifests m, final int n) throws Exception {
    final Container coordinator = Manifests.container(m.pod("coordinator"));
    final Container worker = Manifests.container(m.pod("worker"));
    final Set<String> declared = declaredNames();
    for (final Container c : List.of(coordinator, worker)) {
      c.getEnv().stream()
          .map(e -> e.getName())
          .filter(s -> s.startsWith("SEQPAR_"))
          .forEach(s -> assertTrue(declared.contains(s), s + " is read by no process"));
    }
    final Set<String> workerNames =
        Set.copyOf(worker.getEnv().stream().map(e -> e.getName()).toList());
    assertTrue(
        workerNames.containsAll(contextNames()), "worker env lacks some of " + contextNames());

    final int grpcPort =
        coordinator.getPorts().stream()
            .filter(p -> "grpc".equals(p.getName()))
            .findFirst()
            .orElseThrow()
            .getContainerPort();
    final Map<String, String> coordEnv = m.resolvedEnv(coordinator, 0);
    final SeqparContext cc = SeqparContext.fromEnv(coordEnv).conclude();
    assertEquals(SeqparContext.Role.COORDINATOR, cc.role());
    assertEquals(grpcPort, cc.coordinatorPort());
    assertEquals(n, cc.worldSize());
    for (final int rank : new int[] {0, n - 1}) {
      final SeqparContext wc = SeqparContext.fromEnv(m.resolvedEnv(worker, rank)).conclude();
      assertEquals(SeqparContext.Role.WORKER, wc.role());
      assertEquals(rank, wc.rank());
      assertEquals(n, wc.worldSize());
      assertEquals(m.coordinatorDnsName(), wc.coordinatorAddr());
      assertEquals(grpcPort, wc.coordinatorPort());
      assertEquals(Manifests.POD_IP, wc.endpointHost());
      assertEquals(cc.token(), wc.token(), "one token for the whole job");
      assertEquals(cc.jobId(), wc.jobId());
    }
    // The command lines must parse with the real CLI (the worker's once `seqpar worker` exists).
    final CommandLine cli = SeqparMain.commandLine();
    cli.parseArgs(coordinator.getArgs().toArray(String[]::new));
    if (cli.getSubcommands().containsKey(worker.getArgs().get(0))) {
      SeqparMain.commandLine().parseArgs(worker.getArgs().toArray(String[]::new));
    }
  }

  @ParameterizedTest(name = "N={0} {1}")
  @MethodSource("shapes")
  void envMatchesWhatTheProcessesRead(final int n, final String shape) throws Exception {
    assertEnvContract(render(n, shape), n);
  }

  @Test
  void tokenIsFreshPerRenderUnlessASecretIsNamed() {
    final String a = render(2, "--jobset").one(Secret.class).getStringData().get("token");
    final String b = render(2, "--jobset").one(Secret.class).getStringData().get("token");
    assertTrue(a.matches("[0-9a-f]{64}"), a);
    assertNotEquals(a, b);
    final Manifests m = render(2, "--jobset", "--token-secret", "mine");
    assertTrue(m.all(Secret.class).isEmpty());
    assertTrue(
        Manifests.container(m.pod("worker")).getEnv().stream()
            .anyMatch(
                e ->
                    e.getValueFrom() != null
                        && e.getValueFrom().getSecretKeyRef() != null
                        && "mine".equals(e.getValueFrom().getSecretKeyRef().getName())));
  }

  @Test
  void embedsTheGivenJobFile(@TempDir final Path dir) throws Exception {
    final Path file = dir.resolve("job.yaml");
    Files.writeString(
        file,
        "name: tiny\nmodel: {layers: 1, d_model: 16, heads: 1, dk: 8, dv: 8, mlp_ratio: 2, vocab: 32, decay_mode: plain}\n"
            + "parallel: {strategy: chain}\nseq_len: 64\nchunk: 8\ndata: {synthetic: {}, batch: 1}\noptimizer: {lr: 0.01}\nsteps: 3\n");
    final Manifests m =
        Manifests.render(
            "k8s", "render", "--workers", "2", "--image", "x:1", "--job", file.toString());
    final io.seqpar.proto.v1.JobSpec job =
        JobSpecParser.parseJson(
            m.one(ConfigMap.class).getData().get(ManifestRenderer.JOB_KEY), "cm");
    assertEquals("tiny", job.getName());
    assertEquals(2, job.getParallel().getWorldSize());
    assertEquals("tiny", m.one(JobSetV1alpha2.class).metadata().getName(), "named after the job");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--workers 0|--workers",
        "--workers 5000|--workers",
        "--workers 4 --name Bad_Name|--name",
        "--workers 4 --worker-memory 2GB|--worker-memory",
        "--workers 4 --worker-cpu lots|--worker-cpu",
        "--workers 4 --term-length 1000|--term-length",
        "--workers 4 --image-pull-policy Sometimes|--image-pull-policy",
        "--workers 4 --job-json {\"parallel\":{\"world_size\":2}}|--workers",
        "--workers 4 --job-json {\"name\":\"x\",\"chunk\":0}|chunk",
        "--workers 4 --job-json {\"nmae\":\"x\"}|nmae",
        "--workers 4 --jobset --indexed-job|mutually exclusive",
      })
  void badInputExitsTwoNamingTheField(final String flags, final String named) {
    final List<String> args = new ArrayList<>(List.of("k8s", "render", "--image", "seqpar:test"));
    args.addAll(List.of(flags.split(" ")));
    final Manifests.Run run = Manifests.cli(args.toArray(String[]::new));
    assertEquals(2, run.code(), run.err());
    assertTrue(run.err().contains(named), run.err());
    assertEquals("", run.out());
  }

  @Test
  void missingImageIsAUsageError() {
    final Manifests.Run run = Manifests.cli("k8s", "render", "--workers", "2");
    assertEquals(2, run.code());
    assertTrue(run.err().contains("--image"), run.err());
  }
}
