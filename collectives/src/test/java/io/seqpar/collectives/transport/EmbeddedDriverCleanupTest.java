package io.seqpar.collectives.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aeron.driver.MediaDriver;
import io.seqpar.collectives.launch.RankProcessGroup;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A driver's directory (term buffers, hundreds of MB at P = 8) must not outlive its process. */
class EmbeddedDriverCleanupTest {
  @Test
  @Timeout(60)
  void aProcessEndedBySigtermLeavesNoDriverDirectory() throws Exception {
    final String java = ProcessHandle.current().info().command().orElse("java");
    final List<String> cmd = new ArrayList<>(List.of(java));
    cmd.addAll(RankProcessGroup.JVM_FLAGS);
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            DriverHoldingMain.class.getName(),
            "seqpar-sigterm-test"));
    final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    File dir = null;
    try {
      final BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("DIR ")) {
          dir = new File(line.substring(4));
          break;
        }
      }
      assertNotNull(dir, "the child printed its driver directory");
      assertTrue(new File(dir, "cnc.dat").isFile(), "the driver is up in " + dir);

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
    // A driver that is gone without deleting its directory, as after SIGKILL: its cnc.dat stays,
    // and its heartbeat stops.
    final File dead = base.resolve("seqpar-dead-" + UUID.randomUUID()).toFile();
    MediaDriver.launch(
            new MediaDriver.Context()
                .aeronDirectoryName(dead.getPath())
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(false)
                .termBufferSparseFile(true))
        .close();
    assertTrue(new File(dead, "cnc.dat").isFile());
    final File noCnc = Files.createDirectory(base.resolve("seqpar-empty")).toFile();
    final File notOurs = base.resolve("other-" + UUID.randomUUID()).toFile();
    MediaDriver.launch(
            new MediaDriver.Context()
                .aeronDirectoryName(notOurs.getPath())
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(false)
                .termBufferSparseFile(true))
        .close();
    try (EmbeddedDriver live =
        EmbeddedDriver.launch(base.resolve("seqpar-live-" + UUID.randomUUID()).toString())) {
      final File liveDir = new File(live.aeronDirectoryName());

      assertEquals(
          0,
          EmbeddedDriver.removeStaleDirectories(base.toFile(), TimeUnit.HOURS.toMillis(1), 1000),
          "directories younger than the minimum age are not judged");
      assertTrue(dead.exists());

      Thread.sleep(1500); // the dead driver's last heartbeat is now older than 1 s
      assertEquals(1, EmbeddedDriver.removeStaleDirectories(base.toFile(), 0, 1000));
      assertFalse(dead.exists(), "a killed driver's directory is removed");
      assertTrue(liveDir.exists(), "a running driver's directory is kept");
      assertTrue(noCnc.exists(), "a directory without cnc.dat is not judged");
      assertTrue(notOurs.exists(), "a directory without the seqpar- prefix is not touched");
    }
  }
}
