package io.seqpar.deploy.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The checked-in Kustomize trees under {@code deploy/k8s}: the bases are exactly what {@code seqpar
 * k8s render} produces, and every base and overlay builds into strictly typed objects that keep the
 * env contract and fit their memory limits. Builds with {@code kubectl kustomize} or {@code
 * kustomize build} when either is on the PATH, else with {@link MiniKustomize}.
 */
@Timeout(120)
class KustomizeTest {
  static final Path K8S = Path.of("k8s");

  /** The arguments the checked-in bases were rendered with (see deploy/k8s/README.md). */
  static final List<String> BASE_ARGS =
      List.of(
          "k8s",
          "render",
          "--workers",
          "4",
          "--image",
          "seqpar:0.1.0",
          "--token-secret",
          "seqpar-run-token");

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"base", "fallback"})
  void checkedInBaseIsWhatRenderWrites(final String dir, @TempDir final Path tmp)
      throws IOException {
    final List<String> args = new ArrayList<>(BASE_ARGS);
    if (dir.equals("fallback")) {
      args.add("--indexed-job");
    }
    args.addAll(List.of("--out-dir", tmp.toString()));
    assertEquals(0, Manifests.cli(args.toArray(String[]::new)).code());
    final String hint =
        "deploy/k8s/"
            + dir
            + " is stale: bin/seqpar "
            + String.join(" ", args.subList(0, args.size() - 1))
            + " deploy/k8s/"
            + dir;
    assertEquals(listing(tmp), listing(K8S.resolve(dir)), hint);
    for (final String f : listing(tmp)) {
      assertEquals(
          Files.readString(tmp.resolve(f)),
          Files.readString(K8S.resolve(dir).resolve(f)),
          hint + " (" + f + ")");
    }
  }

  private static List<String> listing(final Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"base", "fallback", "overlays/dev", "overlays/prod"})
  void buildsIntoTypedObjectsThatKeepTheContract(final String dir) throws Exception {
    final String yaml = build(K8S.resolve(dir));
    final Manifests m = new Manifests(StrictKubernetes.parseAll(yaml));
    K8sRenderTest.assertEnvContract(m, 4);
    for (final String role : List.of("coordinator", "worker")) {
      assertFitsItsLimits(m.pod(role), dir + " " + role);
    }
  }

  @Test
  void overlaysChangeWhatTheySay() throws Exception {
    final Manifests dev =
        new Manifests(StrictKubernetes.parseAll(build(K8S.resolve("overlays/dev"))));
    final Container devWorker = Manifests.container(dev.pod("worker"));
    assertEquals("seqpar:local", devWorker.getImage());
    assertEquals("Never", devWorker.getImagePullPolicy());
    assertEquals(0, dev.one(JobSetV1alpha2.class).spec().failurePolicy().maxRestarts());
    assertEquals("dev-token-not-for-production", dev.resolvedEnv(devWorker, 0).get("SEQPAR_TOKEN"));
    final Manifests prod =
        new Manifests(StrictKubernetes.parseAll(build(K8S.resolve("overlays/prod"))));
    assertEquals(
        "training",
        prod.one(JobSetV1alpha2.class).metadata().getLabels().get("kueue.x-k8s.io/queue-name"));
    assertEquals(
        "8",
        prod.resolvedEnv(Manifests.container(prod.pod("worker")), 0).get("SEQPAR_COMPUTE_THREADS"));
  }

  /**
   * Guaranteed QoS (requests = limits); the heap plus {@code /dev/shm} plus 256 MiB of JVM overhead
   * within the memory limit; no more compute threads than CPUs.
   */
  static void assertFitsItsLimits(final PodTemplateSpec pod, final String what) {
    final Container c = Manifests.container(pod);
    assertEquals(
        c.getResources().getRequests(), c.getResources().getLimits(), what + ": Guaranteed QoS");
    final long limitMib =
        Quantity.getAmountInBytes(c.getResources().getLimits().get("memory")).longValue() >> 20;
    final long shmMib =
        pod.getSpec().getVolumes().stream()
            .filter(v -> v.getEmptyDir() != null && "Memory".equals(v.getEmptyDir().getMedium()))
            .mapToLong(
                v -> Quantity.getAmountInBytes(v.getEmptyDir().getSizeLimit()).longValue() >> 20)
            .sum();
    final String opts = env(c, PodEnv.JDK_JAVA_OPTIONS).orElseThrow();
    final long heapMib = heapMib(opts);
    assertTrue(
        heapMib + shmMib + 256 <= limitMib,
        what + ": heap " + heapMib + " + shm " + shmMib + " + 256 > limit " + limitMib + " MiB");
    env(c, "SEQPAR_COMPUTE_THREADS")
        .ifPresent(
            t ->
                assertTrue(
                    Integer.parseInt(t)
                        <= Math.ceil(
                            Quantity.getAmountInBytes(c.getResources().getLimits().get("cpu"))
                                .doubleValue()),
                    what + ": threads > CPUs"));
  }

  private static long heapMib(final String opts) {
    final String x = opts.replaceAll(".*-Xmx([0-9]+[mMgG]).*", "$1");
    final long v = Long.parseLong(x.substring(0, x.length() - 1));
    return Character.toLowerCase(x.charAt(x.length() - 1)) == 'g' ? v * 1024 : v;
  }

  private static Optional<String> env(final Container c, final String name) {
    return c.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .map(EnvVar::getValue)
        .findFirst();
  }

  /** {@code kubectl kustomize DIR} / {@code kustomize build DIR}, else {@link MiniKustomize}. */
  static String build(final Path dir) throws Exception {
    final String cached = BUILDS.get(dir);
    if (cached != null) {
      return cached;
    }
    final String built = buildUncached(dir);
    BUILDS.put(dir, built);
    return built;
  }

  /** One build per directory per test run (each kubectl start costs about a second). */
  private static final Map<Path, String> BUILDS = new java.util.concurrent.ConcurrentHashMap<>();

  private static String buildUncached(final Path dir) throws Exception {
    final Optional<List<String>> tool =
        onPath("kubectl")
            .map(k -> List.of(k, "kustomize"))
            .or(() -> onPath("kustomize").map(k -> List.of(k, "build")));
    if (tool.isEmpty()) {
      System.out.println(
          "KustomizeTest: no kubectl or kustomize on PATH; building "
              + dir
              + " with MiniKustomize (resources + JSON 6902 patches)");
      return MiniKustomize.build(dir).stream().map(Yaml::dump).collect(Collectors.joining("---\n"));
    }
    final List<String> cmd = new ArrayList<>(tool.get());
    cmd.add(dir.toString());
    final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + ": " + out);
    return out;
  }

  private static Optional<String> onPath(final String exe) {
    for (final String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      final Path p = Path.of(d, exe);
      if (Files.isExecutable(p)) {
        return Optional.of(p.toString());
      }
    }
    return Optional.empty();
  }

  /** The fallback builder agrees with the real tool wherever the tool exists. */
  @Test
  void miniKustomizeAgreesWithTheRealTool() throws Exception {
    for (final String dir : List.of("base", "fallback", "overlays/dev", "overlays/prod")) {
      final List<Map<String, Object>> mini = MiniKustomize.build(K8S.resolve(dir));
      final List<Map<String, Object>> real = StrictKubernetes.documents(build(K8S.resolve(dir)));
      assertEquals(sorted(mini), sorted(real), dir);
    }
  }

  private static List<String> sorted(final List<Map<String, Object>> docs) {
    return docs.stream()
        .map(d -> StrictKubernetes.MAPPER.writeValueAsString(canonical(d)))
        .sorted()
        .toList();
  }

  @SuppressWarnings("unchecked")
  private static Object canonical(final Object o) {
    if (o instanceof Map<?, ?> m) {
      final Map<String, Object> t = new java.util.TreeMap<>();
      m.forEach((k, v) -> t.put((String) k, canonical(v)));
      return t;
    }
    if (o instanceof List<?> l) {
      return l.stream().map(KustomizeTest::canonical).toList();
    }
    return o;
  }
}
