package io.seqpar.deploy.launcher;

import io.seqpar.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The staged start of one local run, as one {@link GroupSupervisor.Launch}: the coordinator first
 * (it binds port 0 and writes its ready file), then the N workers with the port it reported. Every
 * child gets the Kubernetes env contract ({@link EnvContract}), a fresh Aeron directory and the
 * per-process thread caps. The programs themselves come from {@link Commands}, which is where
 * {@code seqpar local} plugs in the real coordinator and worker command lines.
 */
public final class LocalCluster implements GroupSupervisor.Launch {
  /** The coordinator host workers dial in a local run. */
  public static final String LOOPBACK = "127.0.0.1";

  /** The command lines of the two programs. */
  public interface Commands {
    List<String> coordinator();

    List<String> worker(int rank);
  }

  private final RunDirectory run;
  private final int workers;
  private final String token;
  private final Commands commands;
  private final long readyTimeoutMs;
  private final int computeThreads;

  /**
   * @param run the run's directories
   * @param workers N, at least 1
   * @param token the shared secret for the coordinator's token check
   * @param commands the coordinator and worker command lines
   * @param readyTimeoutMs how long the coordinator may take to write its ready file
   * @param computeThreads the per-process compute-thread cap ({@link EnvContract#COMPUTE_THREADS})
   */
  public LocalCluster(
      final RunDirectory run,
      final int workers,
      final String token,
      final Commands commands,
      final long readyTimeoutMs,
      final int computeThreads) {
    if (workers < 1) {
      throw new InvalidInputException("--workers: " + workers + " must be >= 1");
    }
    if (readyTimeoutMs < 1 || computeThreads < 1) {
      throw new InvalidInputException(
          "local cluster: readyTimeoutMs="
              + readyTimeoutMs
              + " and computeThreads="
              + computeThreads
              + " must be >= 1");
    }
    this.run = run;
    this.workers = workers;
    this.token = token;
    this.commands = commands;
    this.readyTimeoutMs = readyTimeoutMs;
    this.computeThreads = computeThreads;
  }

  /** A fresh 128-bit token for {@link EnvContract#TOKEN}. */
  public static String newToken() {
    final byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  @Override
  public void launch(final ProcessGroup group, final int restartCount) throws InterruptedException {
    final ChildSpec coordSpec = spec(Role.COORDINATOR, 0, commands.coordinator(), Map.of());
    final java.nio.file.Path ready = run.readyFile(coordSpec.label());
    try {
      // A ready file left by the previous attempt would hand the workers a dead port.
      Files.deleteIfExists(ready);
    } catch (final IOException e) {
      throw new UncheckedIOException("cannot remove stale ready file " + ready, e);
    }
    final ChildProcess coord = group.start(coordSpec);
    final int port = ReadyFile.awaitPort(ready, coord, readyTimeoutMs, group::stopRequested);
    for (int rank = 0; rank < workers; rank++) {
      group.start(
          spec(
              Role.WORKER,
              rank,
              commands.worker(rank),
              Map.of(EnvContract.COORDINATOR_PORT, Integer.toString(port))));
    }
  }

  /** The spec of one child with the full env contract and a fresh Aeron directory. */
  ChildSpec spec(
      final Role role, final int rank, final List<String> command, final Map<String, String> more) {
    final ChildSpec base = ChildSpec.of(role, rank, workers, command);
    final java.nio.file.Path aeron = run.freshAeronDir(base.label());
    final Map<String, String> env = new HashMap<>(JavaCommand.threadCapEnv(computeThreads));
    env.put(EnvContract.ROLE, role.id());
    env.put(EnvContract.RANK, Integer.toString(rank));
    env.put(EnvContract.WORLD_SIZE, Integer.toString(workers));
    env.put(EnvContract.COORDINATOR_ADDR, LOOPBACK);
    env.put(EnvContract.TOKEN, token);
    env.put(EnvContract.RUN_ID, run.id().value());
    env.put(EnvContract.RUN_DIR, run.root().toAbsolutePath().toString());
    env.put(EnvContract.AERON_DIR, aeron.toString());
    env.put(EnvContract.READY_FILE, run.readyFile(base.label()).toAbsolutePath().toString());
    env.putAll(more);
    return base.withEnv(env).withScratchDir(aeron);
  }
}
