package io.seqpar.deploy.cli;

import io.seqpar.config.SeqparContext;
import java.util.Optional;

/**
 * Exits this child process when the local launcher that started it is gone: a launcher killed by
 * SIGKILL runs no shutdown hook, and its children must not linger as orphans.
 */
final class LauncherWatch {
  /** How often the launcher's pid is checked. */
  static final long PERIOD_MS = 500;

  /** Exit code when the launcher disappeared (as if terminated). */
  static final int EXIT_ORPHANED = 143;

  private LauncherWatch() {}

  /** Starts the watch if {@code SEQPAR_LAUNCHER_PID} is set; otherwise does nothing. */
  static void start() {
    final String pid = EnvSupport.get(SeqparContext.ENV_LAUNCHER_PID);
    if (pid == null) {
      return;
    }
    final Optional<ProcessHandle> launcher;
    try {
      launcher = ProcessHandle.of(Long.parseLong(pid.trim()));
    } catch (final NumberFormatException e) {
      throw new io.seqpar.InvalidInputException(
          SeqparContext.ENV_LAUNCHER_PID + ": '" + pid + "' is not a pid");
    }
    Thread.ofPlatform()
        .daemon()
        .name("seqpar-launcher-watch")
        .start(
            () -> {
              while (launcher.map(ProcessHandle::isAlive).orElse(false)) {
                try {
                  Thread.sleep(PERIOD_MS);
                } catch (final InterruptedException e) {
                  return;
                }
              }
              System.err.println(
                  "seqpar: launcher pid " + pid + " is gone; exiting so no orphan remains");
              System.exit(EXIT_ORPHANED); // runs the hooks: Aeron directories are removed
            });
  }
}
