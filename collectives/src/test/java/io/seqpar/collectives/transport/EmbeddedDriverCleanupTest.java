package io.seqpar.collectives.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aeron.driver.MediaDriver;
import io.seqpar.collectives.launch.RankProcessGroup;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A driver's directory (term buffers, hundreds of MB at P = 8) must not outlive its process. */
class EmbeddedDriverCleanupTest {
  @Test
  @Timeout(60)
  void aProcessEndedBySigtermLeavesNoDriverDirectory() throws Exception {
    final Process p = startDriverHolder("seqpar-sigterm-test");
    File dir = null;
    try {
      dir = driverDirectoryOf(p);
      p.destroy(); // SIGTERM: shutdown hooks run, finally blocks do not
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the child exits on SIGTERM");
      assertFalse(dir.exists(), "the shutdown hook deleted " + dir);
    } finally {
      p.destroyForcibly();
      if (dir != null) {
        IoUtil.delete(dir, true); // what a failed assertion left
      }
    }
  }

  @Test
  @Timeout(60)
  void launchRemovesDirectoriesOfKilledDriversAndNothingElse(@TempDir final Path base)
      throws Exception {
    // A driver killed with SIGKILL: no hook ran, its cnc.dat stays and its heartbeat stops.
    final Process killed = startDriverHolder("seqpar-dead", base.toString());
    final File dead;
    try {
      dead = driverDirectoryOf(killed);
    } finally {
      killed.destroyForcibly();
    }
    assertTrue(killed.waitFor(30, TimeUnit.SECONDS), "the killed driver's process exits");
    assertTrue(new File(dead, "cnc.dat").isFile(), "SIGKILL left " + dead);
    final File noCnc = Files.createDirectory(base.resolve("seqpar-empty")).toFile();
    final File notOurs = abandonedDriverDirectory(base.resolve("other-" + UUID.randomUUID()));
    try (EmbeddedDriver live =
        EmbeddedDriver.launch(base.resolve("seqpar-live-" + UUID.randomUUID()).toString())) {
      final File liveDir = new File(live.aeronDirectoryName());

      assertEquals(
          0,
          EmbeddedDriver.removeStaleDirectories(base.toFile(), TimeUnit.HOURS.toMillis(1), 2000),
          "directories younger than the minimum age are not judged");
      assertTrue(dead.exists());

      // Removed once the dead driver's last heartbeat is older than 2 s; the live one beats every
      // 100 ms.
      final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      int removed = 0;
      while (dead.exists() && System.nanoTime() - deadline < 0) {
        removed += EmbeddedDriver.removeStaleDirectories(base.toFile(), 0, 2000);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
      assertEquals(1, removed);
      assertFalse(dead.exists(), "a killed driver's directory is removed");
      assertTrue(liveDir.exists(), "a running driver's directory is kept");
      assertTrue(noCnc.exists(), "a directory without cnc.dat is not judged");
      assertTrue(notOurs.exists(), "a directory without the seqpar- prefix is not touched");
    }
  }

  /** Starts {@link DriverHoldingMain} with {@code args} in a JVM of its own. */
  private static Process startDriverHolder(final String... args) throws IOException {
    final String java = ProcessHandle.current().info().command().orElse("java");
    final List<String> cmd = new ArrayList<>(List.of(java));
    cmd.addAll(RankProcessGroup.JVM_FLAGS);
    cmd.addAll(
        List.of("-cp", System.getProperty("java.class.path"), DriverHoldingMain.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  /** The directory the child printed, once its driver is up there. */
  private static File driverDirectoryOf(final Process p) throws IOException {
    final BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("DIR ")) {
        final File dir = new File(line.substring(4));
        assertTrue(new File(dir, "cnc.dat").isFile(), "the driver is up in " + dir);
        return dir;
      }
    }
    throw new AssertionError("the child exited without printing its driver directory");
  }

  /** A directory left by a driver that closed without deleting it. */
  private static File abandonedDriverDirectory(final Path dir) {
    MediaDriver.launch(
            new MediaDriver.Context()
                .aeronDirectoryName(dir.toString())
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(false)
                .termBufferSparseFile(true))
        .close();
    return dir.toFile();
  }
}
