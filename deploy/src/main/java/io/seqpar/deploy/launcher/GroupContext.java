package io.seqpar.deploy.launcher;

import io.seqpar.InvalidInputException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Configuration of a {@link ProcessGroup}: setters return this, getters share the name; {@link
 * #conclude()} fills defaults and validates, naming the field, value and allowed range.
 */
public final class GroupContext {
  /**
   * SIGTERM → SIGKILL grace; torchrun waits 30 s, we default lower because local runs are small.
   */
  public static final long GRACE_MS_DEFAULT = 10_000;

  /** How long the others may take to exit on their own after the leader exits 0. */
  public static final long DRAIN_MS_DEFAULT = 15_000;

  /** How long to wait for the kernel after SIGKILL before reporting survivors. */
  public static final long KILL_WAIT_MS_DEFAULT = 5_000;

  /** How long to wait for a dead child's last output lines before building the root cause. */
  public static final long OUTPUT_DRAIN_MS_DEFAULT = 2_000;

  public static final int TAIL_LINES_DEFAULT = 20;

  private long graceMs = GRACE_MS_DEFAULT;
  private long drainMs = DRAIN_MS_DEFAULT;
  private long killWaitMs = KILL_WAIT_MS_DEFAULT;
  private long outputDrainMs = OUTPUT_DRAIN_MS_DEFAULT;
  private long timeoutMs;
  private int tailLines = TAIL_LINES_DEFAULT;
  private boolean earlyExitIsFailure = true;
  private boolean ownSession = true;
  private boolean shutdownHook = true;
  private PrintStream console;
  private ConsoleFilter consoleFilter = ConsoleFilter.ALL;
  private Path logDir;
  private Path doneFile;
  private Path scratchRoot;
  private java.util.function.BiConsumer<ChildSpec, String> lineListener;
  private boolean concluded;

  /** Fills defaults and validates; call once before use. Returns this. */
  public GroupContext conclude() {
    if (concluded) {
      return this;
    }
    requireRange("graceMs", graceMs, 0, 3_600_000);
    requireRange("drainMs", drainMs, 0, 3_600_000);
    requireRange("killWaitMs", killWaitMs, 1, 600_000);
    requireRange("outputDrainMs", outputDrainMs, 0, 600_000);
    requireRange("timeoutMs", timeoutMs, 0, Long.MAX_VALUE / 2);
    requireRange("tailLines", tailLines, 1, 10_000);
    if (logDir == null) {
      throw new InvalidInputException("group context: logDir is required (runs/<run-id>/logs)");
    }
    if (console == null) {
      console = System.out;
    }
    concluded = true;
    return this;
  }

  private static void requireRange(final String name, final long v, final long lo, final long hi) {
    if (v < lo || v > hi) {
      throw new InvalidInputException(
          "group context: "
              + name
              + "="
              + v
              + " is out of range (allowed: "
              + lo
              + ".."
              + hi
              + ")");
    }
  }

  public long graceMs() {
    return graceMs;
  }

  /** SIGTERM → SIGKILL grace period in ms. */
  public GroupContext graceMs(final long ms) {
    graceMs = ms;
    return this;
  }

  public long drainMs() {
    return drainMs;
  }

  /**
   * After the leader exits 0, how long the other children may take to exit on their own; then they
   * are stopped (SIGTERM, grace, SIGKILL) and the run still counts as a success, because the leader
   * already finished the job. It is also how long a provisional early exit 0 waits for the leader
   * (see {@link #doneFile(Path)}).
   */
  public GroupContext drainMs(final long ms) {
    drainMs = ms;
    return this;
  }

  public long killWaitMs() {
    return killWaitMs;
  }

  public GroupContext killWaitMs(final long ms) {
    killWaitMs = ms;
    return this;
  }

  public long outputDrainMs() {
    return outputDrainMs;
  }

  public GroupContext outputDrainMs(final long ms) {
    outputDrainMs = ms;
    return this;
  }

  public long timeoutMs() {
    return timeoutMs;
  }

  /** The whole group's deadline from its start, 0 for none. */
  public GroupContext timeoutMs(final long ms) {
    timeoutMs = ms;
    return this;
  }

  public int tailLines() {
    return tailLines;
  }

  /** How many last lines of each child the root-cause block shows. */
  public GroupContext tailLines(final int lines) {
    tailLines = lines;
    return this;
  }

  public boolean earlyExitIsFailure() {
    return earlyExitIsFailure;
  }

  /**
   * Whether a child that exits 0 while the job is still running is a failure (default true). "Still
   * running" means: before a {@link ChildSpec#leader() leader} has exited 0, or, in a group without
   * a leader, while any other child is alive.
   */
  public GroupContext earlyExitIsFailure(final boolean failure) {
    earlyExitIsFailure = failure;
    return this;
  }

  public Path doneFile() {
    return doneFile;
  }

  /**
   * The file the leader writes when the job is complete (e.g. {@code runs/<id>/done}), or null.
   * With it, a non-leader exiting 0 before the file exists fails at once; without it, such an exit
   * is provisional and fails only if the leader is still running {@link #drainMs()} later.
   */
  public GroupContext doneFile(final Path file) {
    doneFile = file;
    return this;
  }

  public Path scratchRoot() {
    return scratchRoot;
  }

  /**
   * A directory removed at teardown and by the shutdown hook after the children's own scratch dirs,
   * e.g. {@link RunDirectory#shmRoot()} ({@code /dev/shm/seqpar-<run-id>}); null for none.
   */
  public GroupContext scratchRoot(final Path dir) {
    scratchRoot = dir;
    return this;
  }

  public java.util.function.BiConsumer<ChildSpec, String> lineListener() {
    return lineListener;
  }

  /**
   * Called by the pumps with every output line (unprefixed) of every child, e.g. to feed the
   * coordinator's step lines to {@link Progress}. Runs on the pump's thread: keep it short.
   */
  public GroupContext lineListener(final java.util.function.BiConsumer<ChildSpec, String> l) {
    lineListener = l;
    return this;
  }

  public boolean ownSession() {
    return ownSession;
  }

  /** Start children under {@code setsid} (default true where it exists). */
  public GroupContext ownSession(final boolean own) {
    ownSession = own;
    return this;
  }

  public boolean shutdownHook() {
    return shutdownHook;
  }

  /** Install a JVM shutdown hook that tears the group down if the launcher exits (default true). */
  public GroupContext shutdownHook(final boolean install) {
    shutdownHook = install;
    return this;
  }

  public PrintStream console() {
    return console;
  }

  public GroupContext console(final PrintStream out) {
    console = out;
    return this;
  }

  public ConsoleFilter consoleFilter() {
    return consoleFilter;
  }

  public GroupContext consoleFilter(final ConsoleFilter filter) {
    consoleFilter = filter;
    return this;
  }

  public Path logDir() {
    return logDir;
  }

  /** Where {@code <label>.log} files go: {@link RunDirectory#logs()}. */
  public GroupContext logDir(final Path dir) {
    logDir = dir;
    return this;
  }
}
