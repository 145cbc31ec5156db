package io.seqpar.deploy.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signals to a real launcher process ({@link FakeLauncher}): SIGINT → 130, SIGTERM → 143, children
 * and Aeron directories gone, with trapped signals and with only the shutdown hook.
 */
class LauncherProcessTest {
  private static final Pattern STARTED = Pattern.compile("started (\\S+) pid=(\\d+)");
  private static final Pattern SHM = Pattern.compile("shm (\\S+)");

  @TempDir Path tmp;

  final List<String> out = new CopyOnWriteArrayList<>();
  final List<Long> watched = new ArrayList<>();
  Process launcher;

  @AfterEach
  void noLeaks() throws Exception {
    LeakCheck.assertNoneLeft(tmp.toString(), watched, 10_000);
  }

  private void startLauncher(final boolean trap, final String... workerOps) throws Exception {
    startLauncher(null, trap, workerOps);
  }

  private void startLauncher(final String coordOps, final boolean trap, final String... workerOps)
      throws Exception {
    final List<String> args =
        new ArrayList<>(List.of(tmp.resolve("runs").toString(), Boolean.toString(trap), "2"));
    args.addAll(List.of(workerOps));
    final List<String> cmd =
        new JavaCommand()
            .jvmFlags(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m"))
            .mainClass(FakeLauncher.class.getName())
            .args(args)
            .build();
    final ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (coordOps != null) {
      pb.environment().put("FAKE_COORD_OPS", coordOps);
    }
    launcher = pb.start();
    Thread.ofVirtual()
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  out.add(line);
                }
              } catch (final java.io.IOException e) {
                out.add("<" + e + ">");
              }
            });
  }

  /** Waits for all children to be up; returns their pids. */
  private List<Long> awaitChildrenUp() throws Exception {
    assertTrue(
        ProcessGroupTest.waitFor(
            () ->
                out.contains("all started")
                    && out.stream().filter(l -> l.startsWith("[w")).count() >= 2,
            ProcessGroupTest.WAIT_MS),
        "launcher did not start its children: " + out);
    final List<Long> pids = new ArrayList<>();
    for (final String l : out) {
      final Matcher m = STARTED.matcher(l);
      if (m.matches()) {
        pids.add(Long.parseLong(m.group(2)));
      }
    }
    watched.addAll(pids);
    assertEquals(3, pids.size(), out.toString());
    return pids;
  }

  private Path shmRoot() {
    for (final String l : out) {
      final Matcher m = SHM.matcher(l);
      if (m.find()) {
        return Path.of(m.group(1));
      }
    }
    throw new AssertionError("no shm line in " + out);
  }

  private int signalAndWait(final String signal) throws Exception {
    final Process kill =
        new ProcessBuilder("kill", "-" + signal, Long.toString(launcher.pid())).start();
    assertTrue(kill.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, kill.exitValue());
    assertTrue(launcher.waitFor(30, TimeUnit.SECONDS), "launcher did not exit: " + out);
    return launcher.exitValue();
  }

  private void assertAllGone(final List<Long> pids, final Path shm) throws Exception {
    for (final long pid : pids) {
      assertTrue(
          ProcessGroupTest.waitFor(
              () -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true), 10_000),
          "child pid " + pid + " outlived the launcher");
    }
    assertFalse(Files.exists(shm), "Aeron dirs left at " + shm);
  }

  @Test
  @Timeout(90)
  void sigintToTheLauncherExits130AndLeavesNothing() throws Exception {
    startLauncher(true, "print:up", "sleep:600000");
    final List<Long> pids = awaitChildrenUp();
    assertEquals(130, signalAndWait("INT"), out.toString());
    assertAllGone(pids, shmRoot());
    assertTrue(out.stream().anyMatch(l -> l.contains("received SIGINT")), out.toString());
  }

  @Test
  @Timeout(90)
  void sigtermToTheLauncherExits143AndLeavesNothing() throws Exception {
    startLauncher(true, "print:up", "ignore-term", "sleep:600000");
    final List<Long> pids = awaitChildrenUp();
    assertEquals(143, signalAndWait("TERM"), out.toString());
    assertAllGone(pids, shmRoot());
  }

  @Test
  @Timeout(90)
  void withoutTrappedSignalsTheShutdownHookStillCleansUp() throws Exception {
    startLauncher(false, "print:up", "sleep:600000");
    final List<Long> pids = awaitChildrenUp();
    assertEquals(143, signalAndWait("TERM"), out.toString());
    assertAllGone(pids, shmRoot());
  }

  @Test
  @Timeout(90)
  void aFailingWorkerEndsTheLauncherWithItsCode() throws Exception {
    startLauncher(true, "print:up", "env:SEQPAR_COORDINATOR_PORT", "sleep:500", "exit:9");
    final List<Long> pids = awaitChildrenUp();
    assertTrue(launcher.waitFor(60, TimeUnit.SECONDS), out.toString());
    assertEquals(9, launcher.exitValue(), out.toString());
    assertAllGone(pids, shmRoot());
    assertTrue(out.contains("[w00] SEQPAR_COORDINATOR_PORT=40000"), out.toString());
    assertTrue(out.stream().anyMatch(l -> l.startsWith("Root Cause")), out.toString());
  }

  @Test
  @Timeout(90)
  void sigintDuringTheHandshakeStopsAtOnce() throws Exception {
    startLauncher("print:coord up,sleep:600000", true, "sleep:600000");
    assertTrue(
        ProcessGroupTest.waitFor(() -> out.contains("[coord] coord up"), ProcessGroupTest.WAIT_MS),
        "coordinator did not start: " + out);
    final long t0 = System.nanoTime();
    assertEquals(130, signalAndWait("INT"), out.toString());
    final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(tookMs < 20_000, "took " + tookMs + " ms, the ready timeout is 60 s");
    assertFalse(out.stream().anyMatch(l -> l.startsWith("[w")), "no worker may start: " + out);
    assertFalse(Files.exists(shmRoot()), "Aeron dirs left");
  }
}
