package io.seqpar.deploy.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/seqpar} rebuilds the distribution exactly when a source of one of the parent POM's
 * modules, or a POM, is newer than it. Runs the real script in a scratch repository whose {@code
 * mvnw} only records that it was called and, like Maven on an up-to-date module, leaves an existing
 * jar untouched.
 */
@Timeout(60)
class LauncherRebuildTest {
  private static final Path SCRIPT = Path.of("..", "bin", "seqpar");

  @TempDir Path repo;

  @Test
  void rebuildsOnlyForModuleSourcesAndNotAgainAfterABuild() throws Exception {
    Files.createDirectories(repo.resolve("bin"));
    Files.copy(SCRIPT, repo.resolve("bin/seqpar"), StandardCopyOption.COPY_ATTRIBUTES);
    write(
        "mvnw",
        "#!/usr/bin/env bash\n"
            + "echo build >> \"$(dirname \"$0\")/builds.log\"\n"
            + "jar=\"$(dirname \"$0\")/deploy/target/dist/lib/seqpar-deploy.jar\"\n"
            + "mkdir -p \"$(dirname \"$jar\")\"\n"
            + "[ -f \"$jar\" ] || echo jar > \"$jar\"\n");
    repo.resolve("mvnw").toFile().setExecutable(true);
    final Path pom =
        write(
            "pom.xml",
            "<project>\n  <modules>\n    <module>collectives</module>\n"
                + "    <module>deploy</module>\n  </modules>\n</project>\n");
    Files.createDirectories(repo.resolve("deploy"));
    final Path source = write("collectives/src/main/java/A.java", "class A {}");
    final Path diagnostic = write("docs/perf/Diagnostic.java", "class Diagnostic {}");
    for (final Path p : new Path[] {pom, source, diagnostic}) {
      age(p, 120);
    }

    launch();
    assertEquals(1, builds(), "no distribution yet: build");
    launch();
    assertEquals(1, builds(), "nothing changed: no build");

    // Ages instead of waits: the stamp 60 s old, an edited file 10 s old.
    final Path stamp = repo.resolve("deploy/target/dist/lib/seqpar-deploy.jar");
    age(stamp, 60);
    age(diagnostic, 10);
    launch();
    assertEquals(1, builds(), "a .java outside the modules is not built: no build");

    age(source, 10);
    launch();
    assertEquals(2, builds(), "a module source newer than the distribution: build");
    launch();
    assertEquals(2, builds(), "the build touched the stamp although Maven left the jar as it was");
  }

  private Path write(final String relative, final String text) throws IOException {
    final Path p = repo.resolve(relative);
    Files.createDirectories(p.getParent());
    return Files.writeString(p, text, StandardCharsets.UTF_8);
  }

  private static void age(final Path p, final long seconds) throws IOException {
    Files.setLastModifiedTime(p, FileTime.from(Instant.now().minusSeconds(seconds)));
  }

  private long builds() throws IOException {
    final Path log = repo.resolve("builds.log");
    return Files.exists(log) ? Files.readAllLines(log).size() : 0;
  }

  /** Runs the launcher; the CLI it then execs is not there, so only the rebuild step matters. */
  private void launch() throws Exception {
    final ProcessBuilder pb =
        new ProcessBuilder("bash", repo.resolve("bin/seqpar").toString(), "--help")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    final Process p = pb.start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bin/seqpar did not finish in 30 s");
  }
}
