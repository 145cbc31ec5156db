package io.seqpar.deploy.launcher;

import io.seqpar.SeqparException;
import io.seqpar.deploy.launcher.GroupOutcome.Status;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A set of child processes that live and die together, as torchrun's agent and mpirun treat their
 * ranks. The caller {@link #start starts} children (all at once, or staged: coordinator, read its
 * port, then the workers), then {@link #awaitOutcome() awaits} the outcome. The first child that
 * exits non-zero, a non-leader that exits 0 before the leader (when {@link
 * GroupContext#earlyExitIsFailure()}), the group deadline, or a {@link #stop} from any thread (a
 * signal handler, a rendezvous timeout) ends the group: SIGTERM to every child and descendant, the
 * grace period, then SIGKILL (see {@link ProcessTree}), and the children's scratch (Aeron)
 * directories are removed. A JVM shutdown hook does the same if the launcher exits first.
 *
 * <p>Each child runs under {@code setsid} (where present) so that its pid is its session id, which
 * lets teardown find grandchildren whose parent already died. Its stdout and stderr are merged (one
 * ordered stream) and pumped by a {@link RankPrefixedPump}; stdin is {@code /dev/null}.
 */
public final class ProcessGroup implements AutoCloseable {
  private static final long MAX_POLL_MS = 1_000;
  private static final Optional<String> SETSID = findSetsid();

  private final GroupContext ctx;
  private final int restartCount;
  private final long startNs = System.nanoTime();
  private final List<ChildProcess> children = new CopyOnWriteArrayList<>();
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final Map<ChildProcess, Instant> observedExits = new HashMap<>();
  private final Thread hook;
  private final Object lock = new Object();
  private boolean stopping;
  private volatile boolean stopRequested;
  private boolean tornDown;
  private List<Long> survivors = List.of();
  private GroupOutcome outcome;

  private sealed interface Event permits Exited, Stop {}

  private record Exited(ChildProcess child, Instant time) implements Event {}

  private record Stop(Status status, String reason) implements Event {}

  /**
   * A group for attempt {@code restartCount} (0 = first), passed to children as
   * SEQPAR_RESTART_COUNT.
   */
  public ProcessGroup(final GroupContext ctx, final int restartCount) {
    this.ctx = ctx.conclude();
    this.restartCount = restartCount;
    if (ctx.shutdownHook()) {
      hook = new Thread(this::onShutdown, "seqpar-group-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
    } else {
      hook = null;
    }
  }

  public ProcessGroup(final GroupContext ctx) {
    this(ctx, 0);
  }

  /** Starts one child. Throws if the group is already stopping or the program cannot start. */
  public ChildProcess start(final ChildSpec spec) {
    synchronized (lock) {
      if (stopping || stopRequested) {
        throw new SeqparException(
            "group is stopping: not starting "
                + spec.label()
                + " ("
                + spec.role().id()
                + " rank="
                + spec.rank()
                + ")");
      }
      requireExecutable(spec);
      final ProcessBuilder pb = new ProcessBuilder(commandLine(spec));
      pb.environment().putAll(spec.env());
      pb.environment().put(EnvContract.RESTART_COUNT, Integer.toString(restartCount));
      pb.environment().put(EnvContract.LAUNCHER_PID, Long.toString(ProcessHandle.current().pid()));
      if (spec.workDir() != null) {
        pb.directory(spec.workDir().toFile());
      }
      pb.redirectErrorStream(true);
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      final Process p;
      try {
        p = pb.start();
      } catch (final IOException e) {
        throw new SeqparException(
            "cannot start "
                + spec.label()
                + " ("
                + spec.role().id()
                + " rank="
                + spec.rank()
                + "): "
                + spec.command()
                + ": "
                + e.getMessage(),
            e);
      }
      final LogTail tail = new LogTail(ctx.tailLines());
      final Path logFile = ctx.logDir().resolve(spec.label() + ".log");
      final RankPrefixedPump pump;
      try {
        pump =
            RankPrefixedPump.start(
                spec.label(),
                p.getInputStream(),
                logFile,
                ctx.consoleFilter().shows(spec.role(), spec.rank()) ? ctx.console() : null,
                tail,
                ctx.lineListener() == null ? null : line -> ctx.lineListener().accept(spec, line));
      } catch (final RuntimeException e) {
        // Not yet tracked by the group, so nothing else would ever stop it.
        ProcessTree.killNow(List.of(p.toHandle()));
        throw e;
      }
      final ChildProcess child = new ChildProcess(spec, p, pump, tail, logFile, Instant.now());
      children.add(child);
      child.exitObserved(p.onExit().thenRun(() -> events.add(new Exited(child, Instant.now()))));
      return child;
    }
  }

  /**
   * Fails in the launcher, naming the child, when its program does not exist: under setsid the
   * start itself would succeed and the error would only show as exit code 127.
   */
  private static void requireExecutable(final ChildSpec spec) {
    final String program = spec.command().getFirst();
    final boolean found;
    if (program.contains(File.separator)) {
      final Path p = spec.workDir() == null ? Path.of(program) : spec.workDir().resolve(program);
      found = Files.isExecutable(p) && !Files.isDirectory(p);
    } else {
      final String path = System.getenv().getOrDefault("PATH", "");
      found =
          java.util.Arrays.stream(path.split(File.pathSeparator))
              .filter(d -> !d.isEmpty())
              .map(d -> Path.of(d, program))
              .anyMatch(p -> Files.isExecutable(p) && !Files.isDirectory(p));
    }
    if (!found) {
      throw new SeqparException(
          "cannot start "
              + spec.label()
              + " ("
              + spec.role().id()
              + " rank="
              + spec.rank()
              + "): program "
              + program
              + " not found or not executable");
    }
  }

  private List<String> commandLine(final ChildSpec spec) {
    if (!ctx.ownSession() || SETSID.isEmpty()) {
      return spec.command();
    }
    final List<String> cmd = new ArrayList<>(spec.command().size() + 1);
    cmd.add(SETSID.get());
    cmd.addAll(spec.command());
    return cmd;
  }

  private static Optional<String> findSetsid() {
    for (final String p : List.of("/usr/bin/setsid", "/bin/setsid")) {
      if (Files.isExecutable(Path.of(p))) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * Ends the group from any thread (signal handler, rendezvous or collective timeout): the waiter
   * in {@link #awaitOutcome()} tears it down and reports {@code status} with {@code reason}.
   */
  public void stop(final Status status, final String reason) {
    stopRequested = true;
    events.add(new Stop(status, reason));
  }

  /** Whether {@link #stop} was called: handshakes poll this to give up at once. */
  public boolean stopRequested() {
    return stopRequested;
  }

  /** SIGKILL to every child and descendant now, skipping the grace (a second Ctrl-C). */
  public void killNow() {
    ProcessTree.killNow(children.stream().map(ChildProcess::handle).toList());
  }

  /** The children started so far. */
  public List<ChildProcess> children() {
    return List.copyOf(children);
  }

  /**
   * Waits until the group ends (see the class comment), tears it down and returns the outcome.
   * Returns the same outcome if called again.
   */
  public GroupOutcome awaitOutcome() throws InterruptedException {
    synchronized (lock) {
      if (outcome != null) {
        return outcome;
      }
    }
    final Decision d = supervise();
    ctx.console()
        .println(
            "seqpar: "
                + d.reason
                + (d.status == Status.SUCCEEDED
                    ? ""
                    : "; stopping the group (SIGTERM, grace "
                        + ctx.graceMs()
                        + " ms, then SIGKILL)"));
    tearDown(ctx.graceMs());
    final GroupOutcome result = buildOutcome(d);
    synchronized (lock) {
      outcome = result;
    }
    return result;
  }

  private record Decision(Status status, String reason, ChildProcess culprit, Instant time) {}

  private Decision supervise() throws InterruptedException {
    final long deadlineNs =
        ctx.timeoutMs() > 0
            ? startNs + TimeUnit.MILLISECONDS.toNanos(ctx.timeoutMs())
            : Long.MAX_VALUE;
    long drainDeadlineNs = Long.MAX_VALUE;
    ChildProcess finishedLeader = null;
    Exited earlyZero = null;
    while (true) {
      if (children.isEmpty() || allExited()) {
        return new Decision(
            Status.SUCCEEDED,
            "all " + children.size() + " processes exited 0",
            null,
            Instant.now());
      }
      final long now = System.nanoTime();
      if (deadlineNs != Long.MAX_VALUE && now - deadlineNs >= 0) {
        return new Decision(
            Status.TIMED_OUT,
            "group deadline of "
                + ctx.timeoutMs()
                + " ms passed with "
                + running()
                + " still running",
            null,
            Instant.now());
      }
      if (drainDeadlineNs != Long.MAX_VALUE && now - drainDeadlineNs >= 0) {
        // The leader finished the job, so stragglers that hang on exit are stopped, not failed.
        return finishedLeader != null
            ? new Decision(
                Status.SUCCEEDED,
                running()
                    + " did not exit within "
                    + ctx.drainMs()
                    + " ms after "
                    + finishedLeader
                    + " exited 0; stopping them",
                null,
                Instant.now())
            : new Decision(
                Status.FAILED,
                earlyZero.child()
                    + " exited 0 while "
                    + leaders()
                    + " kept running for "
                    + ctx.drainMs()
                    + " ms (an early exit is a failure)",
                earlyZero.child(),
                earlyZero.time());
      }
      final long nextNs = Math.min(deadlineNs, drainDeadlineNs);
      final long waitMs =
          nextNs == Long.MAX_VALUE
              ? MAX_POLL_MS
              : Math.clamp(TimeUnit.NANOSECONDS.toMillis(nextNs - now), 1, MAX_POLL_MS);
      final Event e = events.poll(waitMs, TimeUnit.MILLISECONDS);
      if (e instanceof Stop s) {
        return new Decision(s.status(), s.reason(), null, Instant.now());
      }
      if (!(e instanceof Exited x)) {
        continue;
      }
      final ChildProcess c = x.child();
      synchronized (lock) {
        observedExits.put(c, x.time());
      }
      final int code = c.exitCode();
      if (code != 0) {
        return new Decision(
            Status.FAILED, c + " exited with code " + ChildExit.describe(code), c, x.time());
      }
      if (c.spec().leader()) {
        finishedLeader = c;
        drainDeadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ctx.drainMs());
      } else if (ctx.earlyExitIsFailure() && finishedLeader == null && leaderAlive()) {
        if (ctx.doneFile() != null && !Files.exists(ctx.doneFile())) {
          return new Decision(
              Status.FAILED,
              c
                  + " exited 0 before the job was done (no "
                  + ctx.doneFile()
                  + "; an early exit is a failure)",
              c,
              x.time());
        }
        if (ctx.doneFile() == null && earlyZero == null) {
          // Without a done marker, a worker's exit 0 is provisional: the leader must finish too.
          earlyZero = x;
          drainDeadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ctx.drainMs());
        }
      }
    }
  }

  private boolean leaderAlive() {
    return children.stream().anyMatch(c -> c.spec().leader() && c.isAlive());
  }

  private boolean allExited() {
    synchronized (lock) {
      return observedExits.size() == children.size();
    }
  }

  private String leaders() {
    return children.stream()
        .filter(c -> c.spec().leader())
        .map(ChildProcess::toString)
        .toList()
        .toString();
  }

  private String running() {
    return children.stream()
        .filter(ChildProcess::isAlive)
        .map(ChildProcess::toString)
        .toList()
        .toString();
  }

  /**
   * SIGTERM, grace, SIGKILL of every child and descendant; then removes scratch dirs. Idempotent.
   */
  private void tearDown(final long graceMs) throws InterruptedException {
    synchronized (lock) {
      stopping = true;
      if (tornDown) {
        return;
      }
      try {
        final List<ProcessHandle> roots = children.stream().map(ChildProcess::handle).toList();
        survivors =
            ProcessTree.terminate(roots, graceMs, ctx.killWaitMs()).stream()
                .map(ProcessHandle::pid)
                .toList();
        final long outputDeadline =
            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ctx.outputDrainMs());
        for (final ChildProcess c : children) {
          c.pump()
              .awaitEnd(
                  Math.max(1, TimeUnit.NANOSECONDS.toMillis(outputDeadline - System.nanoTime())));
        }
      } finally {
        for (final ChildProcess c : children) {
          for (final Path dir : c.spec().scratchDirs()) {
            RunDirectory.deleteTree(dir);
          }
        }
        if (ctx.scratchRoot() != null) {
          RunDirectory.deleteTree(ctx.scratchRoot());
        }
        tornDown = true;
      }
    }
  }

  private GroupOutcome buildOutcome(final Decision d) {
    final ChildExit root =
        d.culprit() == null ? null : exitOf(d.culprit(), d.time(), d.reason(), false);
    final List<ChildExit> others = new ArrayList<>();
    synchronized (lock) {
      for (final ChildProcess c : children) {
        if (c == d.culprit() || c.isAlive() || c.exitCode() == 0) {
          continue;
        }
        final Instant seen = observedExits.get(c);
        final boolean byLauncher = seen == null;
        others.add(
            exitOf(
                c,
                byLauncher ? Instant.now() : seen,
                byLauncher
                    ? "stopped by the launcher"
                    : "exited with code " + ChildExit.describe(c.exitCode()),
                byLauncher));
      }
    }
    String reason = d.reason();
    if (!survivors.isEmpty()) {
      reason += "; processes still alive after SIGKILL: " + survivors;
    }
    return new GroupOutcome(
        d.status(),
        reason,
        root,
        others,
        Duration.ofNanos(System.nanoTime() - startNs),
        restartCount,
        survivors);
  }

  private static ChildExit exitOf(
      final ChildProcess c, final Instant time, final String reason, final boolean byLauncher) {
    final ChildSpec s = c.spec();
    return new ChildExit(
        s.role(),
        s.rank(),
        s.label(),
        c.pid(),
        c.exitCode(),
        time,
        reason,
        c.logFile(),
        c.tail().lines(),
        byLauncher);
  }

  /** The shutdown hook: the launcher is exiting (e.g. killed by SIGTERM without a handler). */
  private void onShutdown() {
    try {
      tearDown(ctx.graceMs());
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      ProcessTree.killNow(children.stream().map(ChildProcess::handle).toList());
    }
  }

  /**
   * Tears the group down if {@link #awaitOutcome()} did not, and removes the shutdown hook. If
   * interrupted meanwhile it SIGKILLs everything at once and keeps the interrupt flag set.
   */
  @Override
  public void close() {
    try {
      tearDown(ctx.graceMs());
    } catch (final InterruptedException e) {
      // Interrupted during the grace period: do not wait any longer, kill now.
      killNow();
      Thread.currentThread().interrupt();
    } finally {
      if (hook != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException e) {
          // The JVM is already shutting down and the hook is running or done: nothing to remove.
        }
      }
    }
  }
}
