package io.seqpar.deploy.launcher;

import java.nio.file.Path;
import java.time.Instant;

/** A started child: its spec, OS process, output pump and log tail. */
public final class ChildProcess {
  private final ChildSpec spec;
  private final Process process;
  private final RankPrefixedPump pump;
  private final LogTail tail;
  private final Path logFile;
  private final Instant started;
  private volatile java.util.concurrent.CompletableFuture<Void> exitObserved =
      java.util.concurrent.CompletableFuture.completedFuture(null);

  ChildProcess(
      final ChildSpec spec,
      final Process process,
      final RankPrefixedPump pump,
      final LogTail tail,
      final Path logFile,
      final Instant started) {
    this.spec = spec;
    this.process = process;
    this.pump = pump;
    this.tail = tail;
    this.logFile = logFile;
    this.started = started;
  }

  public ChildSpec spec() {
    return spec;
  }

  public String label() {
    return spec.label();
  }

  public long pid() {
    return process.pid();
  }

  public ProcessHandle handle() {
    return process.toHandle();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code; only valid once the process has exited. */
  public int exitCode() {
    return process.exitValue();
  }

  public LogTail tail() {
    return tail;
  }

  public Path logFile() {
    return logFile;
  }

  public Instant started() {
    return started;
  }

  void exitObserved(final java.util.concurrent.CompletableFuture<Void> observed) {
    exitObserved = observed;
  }

  /**
   * If the process has exited, waits up to {@code timeoutMs} until the group has observed it, so
   * that its exit event is queued before anything that follows.
   */
  void awaitExitObserved(final long timeoutMs) throws InterruptedException {
    if (process.isAlive()) {
      return;
    }
    try {
      exitObserved.get(timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (final java.util.concurrent.ExecutionException
        | java.util.concurrent.TimeoutException e) {
      // Not observed in time: the report may then name the handshake instead of the child.
    }
  }

  Process process() {
    return process;
  }

  RankPrefixedPump pump() {
    return pump;
  }

  @Override
  public String toString() {
    return spec.label() + " (" + spec.role().id() + " rank=" + spec.rank() + " pid=" + pid() + ")";
  }
}
