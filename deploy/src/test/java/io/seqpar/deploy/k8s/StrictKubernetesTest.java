package io.seqpar.deploy.k8s;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.core.JacksonException;

/** The strict parser itself: it must reject what the API server would reject. */
@Timeout(30)
class StrictKubernetesTest {
  private static String fallbackWorkers() throws Exception {
    return Files.readString(Path.of("k8s/fallback/job-seqpar-run-workers.yaml"));
  }

  @Test
  void parsesAValidJob() throws Exception {
    assertInstanceOf(Job.class, StrictKubernetes.parseAll(fallbackWorkers()).get(0));
  }

  @Test
  void rejectsAnUnknownFieldAtTheTop() throws Exception {
    final String bad = fallbackWorkers().replace("  completions:", "  completionz:");
    final JacksonException e =
        assertThrows(JacksonException.class, () -> StrictKubernetes.parseAll(bad));
    assertTrue(e.getMessage().contains("completionz"), e.getMessage());
  }

  @Test
  void rejectsAnUnknownFieldDeepInThePodTemplate() throws Exception {
    final String bad =
        fallbackWorkers()
            .replaceAll("(?m)^( *)mountPath: /dev/shm$", "$1mountPath: /dev/shm\n$1mountPatz: x");
    final JacksonException e =
        assertThrows(JacksonException.class, () -> StrictKubernetes.parseAll(bad));
    assertTrue(e.getMessage().contains("mountPatz"), e.getMessage());
  }

  @Test
  void rejectsANumberWhereTheApiWantsAString() throws Exception {
    final String bad = fallbackWorkers().replace("value: '4'", "value: 4");
    assertThrows(JacksonException.class, () -> StrictKubernetes.parseAll(bad));
  }

  @Test
  void rejectsAnUnknownJobSetField() throws Exception {
    final String js = Files.readString(Path.of("k8s/base/jobset-seqpar-run.yaml"));
    StrictKubernetes.parseAll(js);
    final String bad = js.replace("  successPolicy:", "  sucessPolicy:");
    final JacksonException e =
        assertThrows(JacksonException.class, () -> StrictKubernetes.parseAll(bad));
    assertTrue(e.getMessage().contains("sucessPolicy"), e.getMessage());
  }
}
