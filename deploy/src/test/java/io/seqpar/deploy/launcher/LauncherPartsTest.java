package io.seqpar.deploy.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.InvalidInputException;
import io.seqpar.SeqparException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's pieces that need no child process. */
@Timeout(30)
class LauncherPartsTest {
  @TempDir Path tmp;

  @Test
  void labelsArePaddedToTheWidestRankWithAtLeastTwoDigits() {
    assertEquals("coord", Role.COORDINATOR.label(0, 4));
    assertEquals("w03", Role.WORKER.label(3, 4));
    assertEquals("w00", Role.WORKER.label(0, 1));
    assertEquals("w099", Role.WORKER.label(99, 101));
    assertEquals("w100", Role.WORKER.label(100, 101));
  }

  @Test
  void runIdsAreUniqueAndSortByStartTime() throws Exception {
    final Set<String> ids = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      ids.add(RunId.next().value());
    }
    assertEquals(1000, ids.size());
    final RunId a = RunId.next();
    Thread.sleep(20);
    final RunId b = RunId.next();
    assertTrue(a.value().compareTo(b.value()) < 0, a + " should sort before " + b);
    assertThrows(IllegalArgumentException.class, () -> new RunId("../etc"));
  }

  @Test
  void runDirectoryHasItsPartsAndRemovesAeronDirs() {
    final RunDirectory run =
        RunDirectory.create(tmp.resolve("runs"), RunId.next(), tmp.resolve("shm"));
    assertTrue(Files.isDirectory(run.logs()));
    assertTrue(Files.isDirectory(run.checkpoints()));
    assertEquals(run.root().resolve("logs/w03.log"), run.logFile("w03"));
    assertEquals(run.root().resolve("metrics.jsonl"), run.metrics());
    assertEquals(run.root().resolve("job.yaml"), run.jobSpec());
    final Path aeron = run.freshAeronDir("w03");
    assertEquals(tmp.resolve("shm").resolve("seqpar-" + run.id()).resolve("w03"), aeron);
    assertTrue(Files.isDirectory(aeron));
    run.removeAeronDirs();
    run.removeAeronDirs();
    assertFalse(Files.exists(run.shmRoot()));
    assertThrows(SeqparException.class, () -> RunDirectory.create(tmp.resolve("runs"), run.id()));
  }

  @Test
  void logTailKeepsTheLastLinesInOrder() {
    final LogTail t = new LogTail(3);
    assertEquals(List.of(), t.lines());
    for (int i = 0; i < 7; i++) {
      t.add("l" + i);
    }
    assertEquals(List.of("l4", "l5", "l6"), t.lines());
    assertEquals(7, t.total());
  }

  @Test
  void consoleFilterShowsTheCoordinatorUnlessQuiet() {
    final ConsoleFilter f = ConsoleFilter.ranks(Set.of(0, 3));
    assertTrue(f.shows(Role.COORDINATOR, 0));
    assertTrue(f.shows(Role.WORKER, 3));
    assertFalse(f.shows(Role.WORKER, 1));
    assertFalse(ConsoleFilter.QUIET.shows(Role.COORDINATOR, 0));
    assertTrue(ConsoleFilter.ALL.shows(Role.WORKER, 7));
  }

  @Test
  void exitCodesMapSignalsAndLauncherSignals() {
    assertEquals("3", ChildExit.describe(3));
    assertEquals("137 (signal 9: SIGKILL)", ChildExit.describe(137));
    assertEquals("139 (signal 11: SIGSEGV)", ChildExit.describe(139));
    final ChildExit killed =
        new ChildExit(Role.WORKER, 2, "w02", 42, 137, Instant.EPOCH, "x", tmp, List.of(), false);
    assertEquals(137, outcome(GroupOutcome.Status.FAILED, killed).exitCode());
    assertEquals(130, outcome(GroupOutcome.Status.INTERRUPTED, null).exitCode());
    assertEquals(143, outcome(GroupOutcome.Status.TERMINATED, null).exitCode());
    assertEquals(1, outcome(GroupOutcome.Status.TIMED_OUT, null).exitCode());
    assertEquals(0, outcome(GroupOutcome.Status.SUCCEEDED, null).exitCode());
    final ChildExit early =
        new ChildExit(Role.WORKER, 2, "w02", 42, 0, Instant.EPOCH, "x", tmp, List.of(), false);
    assertEquals(1, outcome(GroupOutcome.Status.FAILED, early).exitCode());
    assertTrue(outcome(GroupOutcome.Status.FAILED, early).restartable());
    assertFalse(outcome(GroupOutcome.Status.INTERRUPTED, null).restartable());
  }

  private static GroupOutcome outcome(final GroupOutcome.Status s, final ChildExit root) {
    return new GroupOutcome(s, "r", root, new ArrayList<>(), Duration.ZERO, 0, List.of());
  }

  @Test
  void contextValidationNamesTheField() {
    final InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> new GroupContext().logDir(tmp).graceMs(-1).conclude());
    assertTrue(e.getMessage().contains("graceMs=-1"), e.getMessage());
    assertThrows(InvalidInputException.class, () -> new GroupContext().conclude());
  }

  @Test
  void readyFileIsWrittenAtomicallyAndValidated() throws Exception {
    final Path f = tmp.resolve("coord.json");
    ReadyFile.write(f, 43123);
    assertEquals("{\"port\": 43123}", Files.readString(f).strip());
    assertFalse(Files.exists(tmp.resolve("coord.json.tmp")));
  }

  @Test
  void javaCommandCapsProcessors() {
    final List<String> cmd =
        new JavaCommand()
            .java("java")
            .classPath("cp")
            .activeProcessors(1)
            .mainClass("M")
            .args(List.of("a"))
            .build();
    assertEquals(
        List.of(
            "java",
            "-XX:ActiveProcessorCount=1",
            "-Djava.util.concurrent.ForkJoinPool.common.parallelism=1",
            "-cp",
            "cp",
            "M",
            "a"),
        cmd);
    assertTrue(JavaCommand.computeThreadsPerProcess(1000) >= 1);
  }
}
