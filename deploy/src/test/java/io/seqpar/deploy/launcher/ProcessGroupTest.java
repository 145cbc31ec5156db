package io.seqpar.deploy.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.seqpar.SeqparException;
import io.seqpar.deploy.launcher.GroupOutcome.Status;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Supervision with real child JVMs ({@link FakeRank}). Every test checks afterwards that no child,
 * grandchild or Aeron directory is left, and kills stragglers so a failure cannot leak processes.
 */
class ProcessGroupTest {
  /** Generous: two cores are shared with other builds, and a child JVM takes ~0.5 s to start. */
  static final long WAIT_MS = 30_000;

  static final long GRACE_MS = 3_000;

  @TempDir Path tmp;

  RunDirectory run;
  ByteArrayOutputStream consoleBytes;
  PrintStream console;
  final List<Long> watchedPids = new ArrayList<>();

  /** The command line of a FakeRank child: tiny, single-processor JVM. */
  static List<String> javaCommand(final List<String> args) {
    return new JavaCommand()
        .jvmFlags(
            List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx48m", "-XX:-UsePerfData"))
        .activeProcessors(1)
        .mainClass(FakeRank.class.getName())
        .args(args)
        .build();
  }

  @BeforeEach
  void setUp() {
    run = RunDirectory.create(tmp.resolve("runs"), RunId.next());
    consoleBytes = new ByteArrayOutputStream();
    console = new PrintStream(consoleBytes, true, StandardCharsets.UTF_8);
  }

  @AfterEach
  void noLeaks() throws Exception {
    LeakCheck.assertNoneLeft(tmp.toString(), watchedPids, 10_000);
    assertFalse(Files.exists(run.shmRoot()), "Aeron dirs left: " + run.shmRoot());
  }

  GroupContext ctx() {
    return new GroupContext()
        .logDir(run.logs())
        .scratchRoot(run.shmRoot())
        .console(console)
        .graceMs(GRACE_MS)
        .drainMs(10_000)
        .shutdownHook(true);
  }

  ChildSpec child(final Role role, final int rank, final int workers, final String... args) {
    final ChildSpec spec = ChildSpec.of(role, rank, workers, javaCommand(List.of(args)));
    final Path aeron = run.freshAeronDir(spec.label());
    return spec.withScratchDir(aeron)
        .withEnv(
            Map.of(
                EnvContract.ROLE, role.id(),
                EnvContract.RANK, Integer.toString(rank),
                EnvContract.WORLD_SIZE, Integer.toString(workers),
                EnvContract.AERON_DIR, aeron.toString(),
                EnvContract.RUN_DIR, run.root().toString(),
                EnvContract.READY_FILE, run.readyFile(spec.label()).toString()));
  }

  static boolean waitFor(final BooleanSupplier cond, final long timeoutMs)
      throws InterruptedException {
    final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  static void awaitLine(final ChildProcess c, final String text) throws InterruptedException {
    assertTrue(
        waitFor(() -> c.tail().lines().stream().anyMatch(l -> l.contains(text)), WAIT_MS),
        c + " did not print '" + text + "' within " + WAIT_MS + " ms; got " + c.tail().lines());
  }

  @Test
  @Timeout(90)
  void firstNonZeroExitTearsDownTheGroupAndNamesTheChild() throws Exception {
    final GroupOutcome o;
    final ChildProcess failing;
    try (ProcessGroup g = new ProcessGroup(ctx())) {
      g.start(child(Role.COORDINATOR, 0, 3, "print:coord up", "sleep:600000"));
      g.start(child(Role.WORKER, 0, 3, "print:w0 up", "sleep:600000"));
      g.start(child(Role.WORKER, 2, 3, "print:w2 up", "sleep:600000"));
      failing =
          g.start(
              child(Role.WORKER, 1, 3, "lines:30", "print:about to fail", "sleep:300", "exit:3"));
      o = g.awaitOutcome();
      final long tornDownAfterMs =
          Duration.between(o.rootCause().time(), java.time.Instant.now()).toMillis();
      assertTrue(tornDownAfterMs < GRACE_MS + 2_000, "teardown took " + tornDownAfterMs + " ms");
      for (final ChildProcess c : g.children()) {
        assertFalse(c.isAlive(), c + " still alive after the outcome");
      }
    }
    assertEquals(Status.FAILED, o.status());
    assertEquals(3, o.exitCode());
    final ChildExit root = o.rootCause();
    assertEquals(Role.WORKER, root.role());
    assertEquals(1, root.rank());
    assertEquals("w01", root.label());
    assertEquals(failing.pid(), root.pid());
    assertEquals(3, root.exitCode());
    assertEquals(ctx().tailLines(), root.lastLines().size());
    assertEquals("[w01] about to fail", root.lastLines().getLast());
    assertEquals(3, o.otherFailures().size(), "the three stopped children: " + o.otherFailures());
    assertTrue(o.otherFailures().stream().allMatch(ChildExit::stoppedByLauncher));
    assertTrue(o.survivors().isEmpty());
    final String report = RootCauseReport.format("seqpar local", o);
    assertTrue(report.contains("Root Cause (first observed failure):"), report);
    assertTrue(report.contains("rank      : 1 (w01)"), report);
    assertTrue(report.contains("pid       : " + failing.pid()), report);
    assertTrue(report.contains("exitcode  : 3"), report);
    assertTrue(report.contains("[w01] about to fail"), report);
  }

  @Test
  @Timeout(90)
  void sigkilledChildReports137AndTheSignal() throws Exception {
    final GroupOutcome o;
    try (ProcessGroup g = new ProcessGroup(ctx())) {
      g.start(child(Role.WORKER, 0, 2, "print:w0 up", "sleep:600000"));
      final ChildProcess victim = g.start(child(Role.WORKER, 1, 2, "print:w1 up", "sleep:600000"));
      awaitLine(victim, "w1 up");
      victim.handle().destroyForcibly();
      o = g.awaitOutcome();
    }
    assertEquals(137, o.exitCode());
    assertEquals(1, o.rootCause().rank());
    assertEquals(9, o.rootCause().signal());
    assertEquals("137 (signal 9: SIGKILL)", o.rootCause().describeExitCode());
  }

  @Test
  @Timeout(90)
  void childIgnoringSigtermIsKilledAfterTheGracePeriod() throws Exception {
    final long graceMs = 1_500;
    final GroupOutcome o;
    final ChildProcess stubborn;
    final long t0;
    try (ProcessGroup g = new ProcessGroup(ctx().graceMs(graceMs))) {
      stubborn = g.start(child(Role.WORKER, 0, 1, "ignore-term", "sleep:600000"));
      awaitLine(stubborn, "SIGTERM ignored");
      t0 = System.nanoTime();
      g.stop(Status.TIMED_OUT, "test: collective timeout");
      o = g.awaitOutcome();
    }
    final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(
        tookMs >= graceMs, "SIGKILL came after " + tookMs + " ms, before the grace of " + graceMs);
    assertTrue(tookMs < graceMs + 10_000, "teardown took " + tookMs + " ms");
    assertEquals(Status.TIMED_OUT, o.status());
    assertEquals(1, o.exitCode());
    assertNull(o.rootCause());
    assertEquals(137, stubborn.exitCode(), "killed by SIGKILL");
    assertTrue(
        stubborn.tail().lines().contains("[w00] ignoring SIGTERM"),
        stubborn.tail().lines().toString());
  }

  @Test
  @Timeout(90)
  void workerExitingZeroBeforeTheCoordinatorFailsTheGroup() throws Exception {
    final GroupOutcome o;
    final ChildProcess early;
    try (ProcessGroup g = new ProcessGroup(ctx().drainMs(2_000))) {
      g.start(child(Role.COORDINATOR, 0, 2, "sleep:600000"));
      g.start(child(Role.WORKER, 0, 2, "sleep:600000"));
      early = g.start(child(Role.WORKER, 1, 2, "print:bye", "exit:0"));
      o = g.awaitOutcome();
    }
    assertEquals(Status.FAILED, o.status());
    assertEquals(1, o.exitCode(), "an early exit 0 has no code of its own");
    assertEquals(early.pid(), o.rootCause().pid());
    assertEquals(0, o.rootCause().exitCode());
    assertTrue(o.reason().contains("early exit"), o.reason());
  }

  @Test
  @Timeout(90)
  void withADoneFileAnEarlyExitFailsAtOnceAndALateOneSucceeds() throws Exception {
    final Path done = run.root().resolve("done");
    final GroupOutcome early;
    try (ProcessGroup g = new ProcessGroup(ctx().doneFile(done).drainMs(60_000))) {
      g.start(child(Role.COORDINATOR, 0, 1, "sleep:600000"));
      g.start(child(Role.WORKER, 0, 1, "exit:0"));
      early = g.awaitOutcome();
    }
    assertEquals(Status.FAILED, early.status());
    assertEquals(0, early.rootCause().rank());
    assertTrue(early.elapsed().toMillis() < 60_000, "failed at once, not after the drain");

    final GroupOutcome fine;
    try (ProcessGroup g = new ProcessGroup(ctx().doneFile(done))) {
      g.start(child(Role.COORDINATOR, 0, 1, "touch:" + done, "sleep:1000", "exit:0"));
      g.start(child(Role.WORKER, 0, 1, "sleep:300", "exit:0"));
      fine = g.awaitOutcome();
    }
    assertEquals(Status.SUCCEEDED, fine.status(), fine.reason());
  }

  @Test
  @Timeout(90)
  void workersExitingBeforeTheCoordinatorFinishesIsSuccess() throws Exception {
    final GroupOutcome o;
    try (ProcessGroup g = new ProcessGroup(ctx())) {
      g.start(child(Role.COORDINATOR, 0, 2, "sleep:1500", "print:job done", "exit:0"));
      g.start(child(Role.WORKER, 0, 2, "print:hi", "exit:0"));
      g.start(child(Role.WORKER, 1, 2, "print:hi", "exit:0"));
      o = g.awaitOutcome();
    }
    assertEquals(Status.SUCCEEDED, o.status(), o.reason());
    assertEquals(0, o.exitCode());
  }

  @Test
  @Timeout(90)
  void grandchildrenAreKilledEvenWhenTheirParentDiedFirst() throws Exception {
    final Path pidFile = tmp.resolve("grandchild.pid");
    final GroupOutcome o;
    final long grandchild;
    try (ProcessGroup g = new ProcessGroup(ctx())) {
      g.start(child(Role.WORKER, 0, 2, "sleep:600000"));
      final ChildProcess parent =
          g.start(child(Role.WORKER, 1, 2, "grandchild:" + pidFile, "sleep:600000"));
      assertTrue(waitFor(() -> Files.exists(pidFile), WAIT_MS), "no grandchild pid file");
      grandchild = Long.parseLong(Files.readString(pidFile).strip());
      watchedPids.add(grandchild);
      assertTrue(ProcessHandle.of(grandchild).map(ProcessHandle::isAlive).orElse(false));
      // SIGKILL the parent only: the grandchild is orphaned, out of reach of descendants().
      parent.handle().destroyForcibly();
      o = g.awaitOutcome();
    }
    assertEquals(137, o.exitCode());
    assertTrue(
        waitFor(() -> ProcessHandle.of(grandchild).map(h -> !h.isAlive()).orElse(true), 10_000),
        "grandchild " + grandchild + " survived the teardown");
  }

  @Test
  @Timeout(90)
  void logFilesGetEveryPrefixedLineAndTheConsoleIsFiltered() throws Exception {
    final GroupOutcome o;
    try (ProcessGroup g = new ProcessGroup(ctx().consoleFilter(ConsoleFilter.ranks(Set.of(1))))) {
      g.start(child(Role.COORDINATOR, 0, 11, "sleep:1000", "print:coord line", "exit:0"));
      g.start(child(Role.WORKER, 0, 11, "print:zero line", "exit:0"));
      g.start(child(Role.WORKER, 10, 11, "print:ten line", "exit:0"));
      g.start(child(Role.WORKER, 1, 11, "print:one line", "exit:0"));
      o = g.awaitOutcome();
    }
    assertEquals(Status.SUCCEEDED, o.status(), o.reason());
    assertEquals(List.of("[coord] coord line"), Files.readAllLines(run.logFile("coord")));
    assertEquals(List.of("[w00] zero line"), Files.readAllLines(run.logFile("w00")));
    assertEquals(List.of("[w10] ten line"), Files.readAllLines(run.logFile("w10")));
    assertEquals(List.of("[w01] one line"), Files.readAllLines(run.logFile("w01")));
    final String out = consoleBytes.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("[coord] coord line"), out);
    assertTrue(out.contains("[w01] one line"), out);
    assertFalse(out.contains("zero line"), out);
    assertFalse(out.contains("ten line"), out);
  }

  @Test
  @Timeout(120)
  void restartsPassTheRestartCountAndStopAfterMaxRestarts() throws Exception {
    final GroupSupervisor sup = new GroupSupervisor(ctx(), 2, console, false, "seqpar local");
    final GroupOutcome o =
        sup.run(
            (g, restart) -> {
              g.start(child(Role.COORDINATOR, 0, 1, "env:SEQPAR_RESTART_COUNT", "sleep:600000"));
              g.start(child(Role.WORKER, 0, 1, "env:SEQPAR_RESTART_COUNT", "sleep:200", "exit:4"));
            });
    assertEquals(Status.FAILED, o.status());
    assertEquals(4, o.exitCode());
    assertEquals(2, o.restartCount());
    assertEquals(
        List.of(
            "[w00] SEQPAR_RESTART_COUNT=0",
            "[w00] SEQPAR_RESTART_COUNT=1",
            "[w00] SEQPAR_RESTART_COUNT=2"),
        Files.readAllLines(run.logFile("w00")));
    final String out = consoleBytes.toString(StandardCharsets.UTF_8);
    assertEquals(3, out.split("Root Cause \\(first observed failure\\)", -1).length - 1, out);
    assertTrue(out.contains("restart 2 of 2"), out);
  }

  @Test
  @Timeout(120)
  void aRestartThatSucceedsEndsTheRun() throws Exception {
    final GroupSupervisor sup = new GroupSupervisor(ctx(), 3, console, false, "seqpar local");
    final GroupOutcome o =
        sup.run(
            (g, restart) -> {
              g.start(child(Role.COORDINATOR, 0, 1, "sleep:800", "exit:0"));
              g.start(
                  child(Role.WORKER, 0, 1, "exit-if-restart-below:1:5", "print:trained", "exit:0"));
            });
    assertEquals(Status.SUCCEEDED, o.status(), o.reason());
    assertEquals(1, o.restartCount());
    assertEquals(
        List.of("[w00] failing on restart 0", "[w00] trained"),
        Files.readAllLines(run.logFile("w00")));
  }

  @Test
  @Timeout(90)
  void readyFileGivesThePort() throws Exception {
    try (ProcessGroup g = new ProcessGroup(ctx())) {
      final ChildProcess coord =
          g.start(child(Role.COORDINATOR, 0, 1, "sleep:200", "ready:43123", "sleep:600000"));
      assertEquals(43123, ReadyFile.awaitPort(run.readyFile("coord"), coord, WAIT_MS));
      g.stop(Status.INTERRUPTED, "test done");
      assertEquals(130, g.awaitOutcome().exitCode());
    }
  }

  @Test
  @Timeout(90)
  void readyFileWaitFailsFastWhenTheChildDiesFirst() throws Exception {
    try (ProcessGroup g = new ProcessGroup(ctx())) {
      final ChildProcess coord =
          g.start(child(Role.COORDINATOR, 0, 1, "print:bind failed", "exit:7"));
      final long t0 = System.nanoTime();
      final SeqparException e =
          assertThrows(
              SeqparException.class,
              () -> ReadyFile.awaitPort(run.readyFile("coord"), coord, 120_000));
      assertTrue(
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < WAIT_MS, "did not fail fast");
      assertTrue(
          e.getMessage().contains("coord (coordinator rank=0 pid=" + coord.pid() + ")"),
          e.getMessage());
      assertTrue(e.getMessage().contains("exited with code 7"), e.getMessage());
    }
  }

  @Test
  @Timeout(90)
  void aLaunchThatDiesInTheHandshakeNamesTheChildAsRootCause() throws Exception {
    final GroupSupervisor sup = new GroupSupervisor(ctx(), 0, console, false, "seqpar local");
    final GroupOutcome o =
        sup.run(
            (g, restart) -> {
              final ChildProcess coord = g.start(child(Role.COORDINATOR, 0, 1, "exit:7"));
              ReadyFile.awaitPort(run.readyFile("coord"), coord, WAIT_MS);
              fail("the handshake should have failed");
            });
    assertEquals(7, o.exitCode());
    assertNotNull(o.rootCause());
    assertEquals(Role.COORDINATOR, o.rootCause().role());
  }

  @Test
  @Timeout(90)
  void aGroupDeadlineEndsTheGroup() throws Exception {
    final GroupOutcome o;
    try (ProcessGroup g = new ProcessGroup(ctx().timeoutMs(1_000))) {
      g.start(child(Role.WORKER, 0, 1, "sleep:600000"));
      o = g.awaitOutcome();
    }
    assertEquals(Status.TIMED_OUT, o.status());
    assertTrue(o.reason().contains("group deadline of 1000 ms"), o.reason());
  }

  @Test
  @Timeout(170)
  void twentyConsecutiveShortGroupsSucceedWithoutLeaks() throws Exception {
    for (int i = 0; i < 20; i++) {
      final GroupOutcome o;
      final List<ChildProcess> started;
      try (ProcessGroup g = new ProcessGroup(ctx())) {
        g.start(child(Role.COORDINATOR, 0, 2, "print:run " + 0, "sleep:300", "exit:0"));
        g.start(child(Role.WORKER, 0, 2, "print:step 1/1", "exit:0"));
        g.start(child(Role.WORKER, 1, 2, "print:step 1/1", "exit:0"));
        o = g.awaitOutcome();
        started = g.children();
      }
      assertEquals(Status.SUCCEEDED, o.status(), "run " + i + ": " + o.reason());
      for (final ChildProcess c : started) {
        assertFalse(c.isAlive(), "run " + i + ": " + c + " alive");
        assertFalse(
            Files.exists(run.shmRoot().resolve(c.label())), "run " + i + ": Aeron dir of " + c);
      }
      assertTrue(
          ProcessHandle.current().descendants().noneMatch(ProcessHandle::isAlive), "run " + i);
    }
  }

  @Test
  @Timeout(90)
  void theLineListenerFeedsTheCoordinatorsStepLinesToProgress() throws Exception {
    final ByteArrayOutputStream progressBytes = new ByteArrayOutputStream();
    final Progress progress =
        new Progress(
            new PrintStream(progressBytes, true, StandardCharsets.UTF_8),
            false,
            0,
            System::nanoTime);
    final GroupContext c =
        ctx()
            .consoleFilter(ConsoleFilter.QUIET)
            .lineListener(
                (spec, line) -> {
                  if (spec.role() == Role.COORDINATOR) {
                    StepReport.parse(line).ifPresent(progress::report);
                  }
                });
    final GroupOutcome o;
    try (ProcessGroup g = new ProcessGroup(c)) {
      g.start(
          child(
              Role.COORDINATOR,
              0,
              1,
              "print:step 1/2 | loss=2.5",
              "print:step 2/2 | loss=2.0",
              "exit:0"));
      g.start(child(Role.WORKER, 0, 1, "print:step 9/9 | loss=1.0", "exit:0"));
      o = g.awaitOutcome();
    }
    assertEquals(Status.SUCCEEDED, o.status(), o.reason());
    final String p = progressBytes.toString(StandardCharsets.UTF_8);
    assertTrue(p.contains("step 1/2  50% | loss 2.5000"), p);
    assertTrue(p.contains("step 2/2 100% | loss 2.0000"), p);
    assertFalse(p.contains("9/9"), "worker lines are not progress: " + p);
    assertFalse(consoleBytes.toString(StandardCharsets.UTF_8).contains("[coord]"), "quiet");
  }

  @Test
  @Timeout(90)
  void workersHangingAfterTheCoordinatorFinishedAreStoppedAndTheRunSucceeds() throws Exception {
    final GroupOutcome o;
    final ChildProcess straggler;
    try (ProcessGroup g = new ProcessGroup(ctx().drainMs(1_000))) {
      g.start(child(Role.COORDINATOR, 0, 1, "sleep:300", "exit:0"));
      straggler = g.start(child(Role.WORKER, 0, 1, "sleep:600000"));
      o = g.awaitOutcome();
    }
    assertEquals(Status.SUCCEEDED, o.status(), o.reason());
    assertTrue(o.reason().contains("did not exit within 1000 ms"), o.reason());
    assertFalse(straggler.isAlive());
  }

  @Test
  @Timeout(30)
  void aProgramThatCannotStartIsReportedWithItsLabel() {
    try (ProcessGroup g = new ProcessGroup(ctx())) {
      final SeqparException e =
          assertThrows(
              SeqparException.class,
              () ->
                  g.start(
                      ChildSpec.of(
                          Role.WORKER, 2, 4, List.of(tmp.resolve("no-such-program").toString()))));
      assertTrue(e.getMessage().contains("cannot start w02 (worker rank=2)"), e.getMessage());
    }
  }
}
