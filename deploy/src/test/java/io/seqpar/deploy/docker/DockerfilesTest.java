package io.seqpar.deploy.docker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.deploy.cli.ContainerMain;
import io.seqpar.deploy.k8s.ManifestRenderer;
import io.seqpar.deploy.launcher.JavaCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** The two seqpar Dockerfiles start the same thing, with the JVM flags every seqpar JVM needs. */
@Timeout(30)
class DockerfilesTest {
  private static final Path PUBLIC = Path.of("docker/Dockerfile");
  private static final Path LOCAL = Path.of("docker/Dockerfile.local");

  @SuppressWarnings("unchecked")
  static List<String> entrypoint(final Path dockerfile) throws Exception {
    final String line =
        Files.readAllLines(dockerfile).stream()
            .filter(l -> l.startsWith("ENTRYPOINT "))
            .findFirst()
            .orElseThrow();
    return (List<String>)
        new Load(LoadSettings.builder().build())
            .loadFromString(line.substring("ENTRYPOINT ".length()));
  }

  @Test
  void bothImagesHaveTheSameEntrypoint() throws Exception {
    assertEquals(entrypoint(PUBLIC), entrypoint(LOCAL));
  }

  @Test
  void entrypointCarriesTheSeqparJvmFlagsAndTheContainerMain() throws Exception {
    final List<String> ep = entrypoint(PUBLIC);
    assertTrue(
        Collections.indexOfSubList(ep, JavaCommand.SEQPAR_JVM_FLAGS) > 0,
        ep + " lacks " + JavaCommand.SEQPAR_JVM_FLAGS);
    assertEquals(ContainerMain.class.getName(), ep.get(ep.size() - 1));
    assertEquals(List.of("-cp", "/opt/seqpar/lib/*"), ep.subList(ep.size() - 3, ep.size() - 1));
  }

  @Test
  void bothImagesRunAsTheUserTheManifestsExpect() throws Exception {
    final String user = "USER " + ManifestRenderer.RUN_AS_USER + ":" + ManifestRenderer.RUN_AS_USER;
    for (final Path f : List.of(PUBLIC, LOCAL)) {
      assertTrue(Files.readAllLines(f).contains(user), f + " lacks " + user);
    }
  }

  @Test
  void noArgumentsMeansTheRoleFromTheEnvironment() {
    assertArrayEquals(
        new String[] {"worker"}, ContainerMain.containerArgs(new String[0], "worker"));
    assertArrayEquals(
        new String[] {"--help"}, ContainerMain.containerArgs(new String[] {"--help"}, "worker"));
    assertArrayEquals(new String[0], ContainerMain.containerArgs(new String[0], null));
  }
}
