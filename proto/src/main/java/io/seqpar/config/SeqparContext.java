package io.seqpar.config;

import io.seqpar.InvalidInputException;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code SEQPAR_*} environment contract (conventions §1.7) as one object: the process role, its
 * rank and the world size, where the coordinator is, and the job token. Built from the environment
 * with {@link #fromEnv}, overridden by CLI flags through the setters, then {@link #conclude()}
 * fills defaults and validates, naming the variable, the value and what is allowed. Nothing else in
 * seqpar reads {@code System.getenv}. {@link #toString()} redacts the token.
 */
public final class SeqparContext {
  /** Process role. */
  public enum Role {
    /** The gRPC control plane. */
    COORDINATOR,
    /** One rank of the gang. */
    WORKER
  }

  public static final String ENV_ROLE = "SEQPAR_ROLE";
  public static final String ENV_RANK = "SEQPAR_RANK";
  public static final String ENV_WORLD_SIZE = "SEQPAR_WORLD_SIZE";
  public static final String ENV_COORDINATOR_ADDR = "SEQPAR_COORDINATOR_ADDR";
  public static final String ENV_COORDINATOR_PORT = "SEQPAR_COORDINATOR_PORT";
  public static final String ENV_TOKEN = "SEQPAR_TOKEN";
  public static final String ENV_JOB_ID = "SEQPAR_JOB_ID";

  /** Data-plane transport: {@code udp} (default; one media driver per process) or {@code ipc}. */
  public static final String ENV_TRANSPORT = "SEQPAR_TRANSPORT";

  /**
   * Aeron directory: for {@code ipc}, the shared media driver's directory (required); for {@code
   * udp}, where this process's own embedded driver lives (default: a fresh one under /dev/shm).
   */
  public static final String ENV_AERON_DIR = "SEQPAR_AERON_DIR";

  /**
   * The host a worker advertises (and binds) for its Aeron receive endpoint: on Kubernetes the pod
   * IP, from the downward API; unset = 127.0.0.1 (one host).
   */
  public static final String ENV_ENDPOINT_HOST = "SEQPAR_ENDPOINT_HOST";

  /** UDP port of the data plane (0 = any free port, reported at registration). */
  public static final String ENV_DATA_PORT = "SEQPAR_DATA_PORT";

  /** How many times the launcher restarted the whole group (0 on the first attempt). */
  public static final String ENV_RESTART_COUNT = "SEQPAR_RESTART_COUNT";

  /** Compute threads this process may use (the per-process cap on a shared host). */
  public static final String ENV_COMPUTE_THREADS = "SEQPAR_COMPUTE_THREADS";

  /** The run directory of a local run {@code runs/<run-id>} (metrics, checkpoints, logs). */
  public static final String ENV_RUN_DIR = "SEQPAR_RUN_DIR";

  /** The run id of a local run. */
  public static final String ENV_RUN_ID = "SEQPAR_RUN_ID";

  /** Where a child writes {@code {"port": N}} (temp + rename) once it listens. */
  public static final String ENV_READY_FILE = "SEQPAR_READY_FILE";

  /** The launcher's pid; a child exits when it disappears. */
  public static final String ENV_LAUNCHER_PID = "SEQPAR_LAUNCHER_PID";

  /** Aeron idle strategy override ({@code backoff}, {@code sleeping}, ...). */
  public static final String ENV_IDLE_STRATEGY = "SEQPAR_IDLE_STRATEGY";

  /**
   * What every worker pod must set (the manifests are tested against it); the rest of {@link
   * #ALL_VARIABLES} is for local runs ({@code seqpar local}) or optional.
   */
  public static final java.util.List<String> POD_VARIABLES =
      java.util.List.of(
          ENV_ROLE,
          ENV_RANK,
          ENV_WORLD_SIZE,
          ENV_COORDINATOR_ADDR,
          ENV_COORDINATOR_PORT,
          ENV_TOKEN,
          ENV_JOB_ID,
          ENV_TRANSPORT,
          ENV_AERON_DIR,
          ENV_ENDPOINT_HOST,
          ENV_COMPUTE_THREADS,
          ENV_IDLE_STRATEGY);

  /** Every variable of the contract, for manifests and launchers. */
  public static final java.util.List<String> ALL_VARIABLES =
      java.util.List.of(
          ENV_ROLE,
          ENV_RANK,
          ENV_WORLD_SIZE,
          ENV_COORDINATOR_ADDR,
          ENV_COORDINATOR_PORT,
          ENV_TOKEN,
          ENV_JOB_ID,
          ENV_TRANSPORT,
          ENV_AERON_DIR,
          ENV_ENDPOINT_HOST,
          ENV_DATA_PORT,
          ENV_RESTART_COUNT,
          ENV_COMPUTE_THREADS,
          ENV_RUN_DIR,
          ENV_RUN_ID,
          ENV_READY_FILE,
          ENV_LAUNCHER_PID,
          ENV_IDLE_STRATEGY);

  /** Rank sentinel: "any rank" (the coordinator assigns one). */
  public static final int NULL_RANK = -1;

  /** Coordinator port used by the manifests (conventions §1.7). */
  public static final int DEFAULT_COORDINATOR_PORT = 7000;

  /** Coordinator host when none is given (single-host runs). */
  public static final String DEFAULT_COORDINATOR_ADDR = "localhost";

  private Role role;
  private int rank = NULL_RANK;
  private int worldSize;
  private String coordinatorAddr;
  private int coordinatorPort;
  private String token;
  private String jobId = "";
  private String transport;
  private String aeronDir;
  private String endpointHost;
  private int dataPort;
  private int restartCount;
  private int computeThreads;

  /**
   * Reads the {@code SEQPAR_*} variables from {@code env}; unset ones stay unset until conclude.
   */
  public static SeqparContext fromEnv(final Map<String, String> env) {
    final SeqparContext c = new SeqparContext();
    final String role = env.get(ENV_ROLE);
    if (role != null && !role.isBlank()) {
      try {
        c.role = Role.valueOf(role.trim().toUpperCase(Locale.ROOT));
      } catch (final IllegalArgumentException e) {
        throw new InvalidInputException(
            ENV_ROLE + ": '" + role + "' is not allowed (allowed: coordinator|worker)");
      }
    }
    c.rank = intVar(env, ENV_RANK, NULL_RANK);
    c.worldSize = intVar(env, ENV_WORLD_SIZE, 0);
    c.coordinatorAddr = env.get(ENV_COORDINATOR_ADDR);
    c.coordinatorPort = intVar(env, ENV_COORDINATOR_PORT, 0);
    c.token = env.get(ENV_TOKEN);
    c.jobId = env.getOrDefault(ENV_JOB_ID, "");
    c.transport = blankToNull(env.get(ENV_TRANSPORT));
    c.aeronDir = blankToNull(env.get(ENV_AERON_DIR));
    c.endpointHost = blankToNull(env.get(ENV_ENDPOINT_HOST));
    c.dataPort = intVar(env, ENV_DATA_PORT, 0);
    c.restartCount = intVar(env, ENV_RESTART_COUNT, 0);
    c.computeThreads = intVar(env, ENV_COMPUTE_THREADS, 0);
    return c;
  }

  private static int intVar(final Map<String, String> env, final String name, final int unset) {
    final String v = env.get(name);
    if (v == null || v.isBlank()) {
      return unset;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (final NumberFormatException e) {
      throw new InvalidInputException(name + ": '" + v + "' is not an integer");
    }
  }

  private static String blankToNull(final String v) {
    return v == null || v.isBlank() ? null : v.trim();
  }

  /** Fills defaults and validates; returns this. */
  public SeqparContext conclude() {
    if (transport == null) {
      transport = "udp";
    }
    if (!transport.equals("udp") && !transport.equals("ipc")) {
      throw new InvalidInputException(
          ENV_TRANSPORT + ": '" + transport + "' is not allowed (allowed: udp|ipc)");
    }
    if (transport.equals("ipc") && role == Role.WORKER && aeronDir == null) {
      throw new InvalidInputException(
          ENV_AERON_DIR
              + ": empty is not allowed with "
              + ENV_TRANSPORT
              + "=ipc (allowed: the shared media driver's directory)");
    }
    if (dataPort < 0 || dataPort > 65535) {
      throw new InvalidInputException(
          ENV_DATA_PORT + ": " + dataPort + " is not allowed (allowed: 0..65535, 0 = any)");
    }
    if (restartCount < 0) {
      throw new InvalidInputException(
          ENV_RESTART_COUNT + ": " + restartCount + " is not allowed (allowed: >= 0)");
    }
    if (computeThreads < 0 || computeThreads > 1024) {
      throw new InvalidInputException(
          ENV_COMPUTE_THREADS
              + ": "
              + computeThreads
              + " is not allowed (allowed: 0..1024, 0 = all cores)");
    }
    if (coordinatorAddr == null || coordinatorAddr.isBlank()) {
      coordinatorAddr = DEFAULT_COORDINATOR_ADDR;
    }
    if (coordinatorPort == 0) {
      coordinatorPort = DEFAULT_COORDINATOR_PORT;
    }
    if (coordinatorPort < 1 || coordinatorPort > 65535) {
      throw new InvalidInputException(
          ENV_COORDINATOR_PORT + ": " + coordinatorPort + " is not allowed (allowed: 1..65535)");
    }
    if (worldSize < 0 || worldSize > 4096) {
      throw new InvalidInputException(
          ENV_WORLD_SIZE + ": " + worldSize + " is not allowed (allowed: 1..4096)");
    }
    if (rank != NULL_RANK && (rank < 0 || (worldSize > 0 && rank >= worldSize))) {
      throw new InvalidInputException(
          ENV_RANK
              + ": "
              + rank
              + " is not allowed (allowed: 0.."
              + (worldSize > 0 ? worldSize - 1 : "world_size-1")
              + ")");
    }
    if (role == Role.WORKER && (token == null || token.isEmpty())) {
      throw new InvalidInputException(
          ENV_TOKEN
              + ": empty is not allowed (allowed: the job token the coordinator was started with)");
    }
    return this;
  }

  public Role role() {
    return role;
  }

  public SeqparContext role(final Role v) {
    role = v;
    return this;
  }

  /** The requested rank, or {@link #NULL_RANK}. */
  public int rank() {
    return rank;
  }

  public SeqparContext rank(final int v) {
    rank = v;
    return this;
  }

  /** P, or 0 if not given. */
  public int worldSize() {
    return worldSize;
  }

  public SeqparContext worldSize(final int v) {
    worldSize = v;
    return this;
  }

  public String coordinatorAddr() {
    return coordinatorAddr;
  }

  public SeqparContext coordinatorAddr(final String v) {
    coordinatorAddr = v;
    return this;
  }

  public int coordinatorPort() {
    return coordinatorPort;
  }

  public SeqparContext coordinatorPort(final int v) {
    coordinatorPort = v;
    return this;
  }

  /** The job token (secret); null if not given. */
  public String token() {
    return token;
  }

  public SeqparContext token(final String v) {
    token = v;
    return this;
  }

  /** The job id, or empty for "the coordinator's job". */
  public String jobId() {
    return jobId;
  }

  public SeqparContext jobId(final String v) {
    jobId = v == null ? "" : v;
    return this;
  }

  /** {@code udp} or {@code ipc} (after conclude). */
  public String transport() {
    return transport;
  }

  public SeqparContext transport(final String v) {
    transport = blankToNull(v);
    return this;
  }

  /** The Aeron directory, or null. */
  public String aeronDir() {
    return aeronDir;
  }

  public SeqparContext aeronDir(final String v) {
    aeronDir = blankToNull(v);
    return this;
  }

  /** The advertised Aeron endpoint host, or null for 127.0.0.1. */
  public String endpointHost() {
    return endpointHost;
  }

  public SeqparContext endpointHost(final String v) {
    endpointHost = blankToNull(v);
    return this;
  }

  /** The data-plane UDP port, 0 = any. */
  public int dataPort() {
    return dataPort;
  }

  public SeqparContext dataPort(final int v) {
    dataPort = v;
    return this;
  }

  /** Restarts of the whole group so far. */
  public int restartCount() {
    return restartCount;
  }

  public SeqparContext restartCount(final int v) {
    restartCount = v;
    return this;
  }

  /** Compute threads allowed, 0 = all cores. */
  public int computeThreads() {
    return computeThreads;
  }

  public SeqparContext computeThreads(final int v) {
    computeThreads = v;
    return this;
  }

  @Override
  public String toString() {
    return "SeqparContext{role="
        + role
        + ", rank="
        + rank
        + ", worldSize="
        + worldSize
        + ", coordinator="
        + coordinatorAddr
        + ":"
        + coordinatorPort
        + ", transport="
        + transport
        + ", restart="
        + restartCount
        + ", jobId='"
        + jobId
        + "', token="
        + (token == null ? "unset" : "<redacted>")
        + "}";
  }
}
