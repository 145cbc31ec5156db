package io.seqpar.deploy.launcher;

import io.seqpar.config.SeqparContext;

/**
 * The names of the environment variables the launcher gives every child: the same contract as a
 * Kubernetes pod, so a process cannot tell a local run from a cluster run. The names are {@link
 * SeqparContext}'s, the one source of truth the processes read.
 */
public final class EnvContract {
  /** {@code coordinator} or {@code worker}. */
  public static final String ROLE = SeqparContext.ENV_ROLE;

  /** The worker rank, 0..N-1 ({@code 0} for the coordinator). */
  public static final String RANK = SeqparContext.ENV_RANK;

  /** The number of workers N. */
  public static final String WORLD_SIZE = SeqparContext.ENV_WORLD_SIZE;

  /** The coordinator host the workers dial ({@code 127.0.0.1} locally). */
  public static final String COORDINATOR_ADDR = SeqparContext.ENV_COORDINATOR_ADDR;

  /** The coordinator's bound gRPC port, read back from its ready file. */
  public static final String COORDINATOR_PORT = SeqparContext.ENV_COORDINATOR_PORT;

  /** The shared secret the coordinator's interceptor checks. */
  public static final String TOKEN = SeqparContext.ENV_TOKEN;

  /** The run id, {@code yyyyMMdd-HHmmss-SSS-xxxxxxxx}. */
  public static final String RUN_ID = SeqparContext.ENV_RUN_ID;

  /** The run directory {@code runs/<run-id>} (job spec, metrics, checkpoints, logs). */
  public static final String RUN_DIR = SeqparContext.ENV_RUN_DIR;

  /** This process's own Aeron directory, created empty by the launcher and removed at teardown. */
  public static final String AERON_DIR = SeqparContext.ENV_AERON_DIR;

  /** How many times the launcher has restarted the whole group (0 on the first attempt). */
  public static final String RESTART_COUNT = SeqparContext.ENV_RESTART_COUNT;

  /** Where a child writes {@code {"port": N}} (temp + rename) once it listens. */
  public static final String READY_FILE = SeqparContext.ENV_READY_FILE;

  /**
   * The launcher's pid. A child can watch it and exit if the launcher dies by SIGKILL, the one case
   * the launcher's shutdown hook cannot cover.
   */
  public static final String LAUNCHER_PID = SeqparContext.ENV_LAUNCHER_PID;

  /** The number of compute threads a child may use (the per-process thread cap). */
  public static final String COMPUTE_THREADS = SeqparContext.ENV_COMPUTE_THREADS;

  /** The Aeron idle strategy locally: {@code backoff} or {@code sleeping}, never busy-spin. */
  public static final String IDLE_STRATEGY = SeqparContext.ENV_IDLE_STRATEGY;

  /** The data-plane transport, {@code udp} or {@code ipc}. */
  public static final String TRANSPORT = SeqparContext.ENV_TRANSPORT;

  /**
   * Extra JVM options {@code bin/seqpar} adds to the command line. Containers use the JVM's own
   * {@code JDK_JAVA_OPTIONS} instead (their entrypoint runs {@code java} directly, without a
   * shell).
   */
  public static final String JAVA_OPTS = "SEQPAR_JAVA_OPTS";

  private EnvContract() {}
}
