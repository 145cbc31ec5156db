package io.seqpar.deploy.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.seqpar.deploy.cli.SeqparMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** Renders manifests through the CLI and reads them back as typed objects, for the k8s tests. */
final class Manifests {
  static final String POD_IP = "10.1.2.3";

  private final List<Object> objects;

  Manifests(final List<Object> objects) {
    this.objects = objects;
  }

  /** {@code seqpar ARGS} in-process: exit code, stdout, stderr. */
  record Run(int code, String out, String err) {}

  static Run cli(final String... args) {
    final CommandLine cl = SeqparMain.commandLine();
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return new Run(cl.execute(args), out.toString(), err.toString());
  }

  /** Renders with the CLI, asserting success, and parses strictly. */
  static Manifests render(final String... args) {
    final Run run = cli(args);
    assertEquals(0, run.code(), () -> "render failed: " + run.err());
    return new Manifests(StrictKubernetes.parseAll(run.out()));
  }

  List<Object> objects() {
    return objects;
  }

  <T> List<T> all(final Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  <T> T one(final Class<T> type) {
    final List<T> found = all(type);
    assertEquals(1, found.size(), () -> "objects of " + type.getSimpleName());
    return found.get(0);
  }

  /** The Job templates' pod templates by role label: from the JobSet or from the Jobs. */
  PodTemplateSpec pod(final String role) {
    final List<PodTemplateSpec> pods =
        all(JobSetV1alpha2.class).isEmpty()
            ? all(Job.class).stream().map(j -> j.getSpec().getTemplate()).toList()
            : one(JobSetV1alpha2.class).spec().replicatedJobs().stream()
                .map(r -> r.template().getSpec().getTemplate())
                .toList();
    return pods.stream()
        .filter(p -> role.equals(p.getMetadata().getLabels().get(ManifestRenderer.LABEL_ROLE)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no pod template with role " + role));
  }

  static Container container(final PodTemplateSpec pod) {
    assertEquals(1, pod.getSpec().getContainers().size());
    return pod.getSpec().getContainers().get(0);
  }

  /**
   * The environment the container would see in pod {@code index} of its Job: downward-API fields
   * and Secret references resolved the way the kubelet does.
   */
  Map<String, String> resolvedEnv(final Container c, final int index) {
    final Map<String, String> env = new LinkedHashMap<>();
    for (final EnvVar e : c.getEnv()) {
      if (e.getValueFrom() == null) {
        assertNotNull(e.getValue(), e.getName());
        env.put(e.getName(), e.getValue());
      } else if (e.getValueFrom().getFieldRef() != null) {
        env.put(e.getName(), field(e.getValueFrom().getFieldRef().getFieldPath(), index));
      } else if (e.getValueFrom().getSecretKeyRef() != null) {
        env.put(
            e.getName(),
            secret(
                e.getValueFrom().getSecretKeyRef().getName(),
                e.getValueFrom().getSecretKeyRef().getKey()));
      } else {
        fail("unexpected env source for " + e.getName());
      }
    }
    return env;
  }

  private static String field(final String path, final int index) {
    return switch (path) {
      case PodEnv.COMPLETION_INDEX_FIELD -> Integer.toString(index);
      case PodEnv.RESTART_ATTEMPT_FIELD -> "0";
      case PodEnv.POD_IP_FIELD -> POD_IP;
      default -> throw new AssertionError("unexpected downward-API field " + path);
    };
  }

  /** A rendered Secret's value, or a stand-in for one that must exist in the cluster. */
  private String secret(final String name, final String key) {
    return all(Secret.class).stream()
        .filter(s -> name.equals(s.getMetadata().getName()))
        .map(s -> s.getStringData().get(key))
        .findFirst()
        .orElse("token-of-existing-secret-" + name);
  }

  /**
   * The coordinator's DNS name derived from the objects themselves (pod hostname + subdomain), the
   * way the JobSet controller or the Job controller names the pod.
   */
  String coordinatorDnsName() {
    if (!all(JobSetV1alpha2.class).isEmpty()) {
      final JobSetV1alpha2 js = one(JobSetV1alpha2.class);
      final JobSetV1alpha2.Coordinator c = js.spec().coordinator();
      return js.metadata().getName()
          + "-"
          + c.replicatedJob()
          + "-"
          + c.jobIndex()
          + "-"
          + c.podIndex()
          + "."
          + js.spec().network().subdomain();
    }
    final Job coordinator =
        all(Job.class).stream()
            .filter(
                j ->
                    j.getSpec().getCompletions() == 1
                        && "coordinator"
                            .equals(j.getMetadata().getLabels().get(ManifestRenderer.LABEL_ROLE)))
            .findFirst()
            .orElseThrow();
    assertEquals(
        "Indexed", coordinator.getSpec().getCompletionMode(), "hostname needs an Indexed Job");
    final String subdomain = coordinator.getSpec().getTemplate().getSpec().getSubdomain();
    assertEquals(one(Service.class).getMetadata().getName(), subdomain);
    return coordinator.getMetadata().getName() + "-0." + subdomain;
  }
}
