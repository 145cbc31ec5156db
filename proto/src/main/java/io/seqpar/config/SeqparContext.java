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

  /**
   * The host a worker advertises for its Aeron receive endpoint (on Kubernetes the pod IP, from the
   * downward API); unset = the worker picks its own address.
   */
  public static final String ENV_ENDPOINT_HOST = "SEQPAR_ENDPOINT_HOST";

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
  private String endpointHost;

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
    final String host = env.get(ENV_ENDPOINT_HOST);
    c.endpointHost = host == null || host.isBlank() ? null : host.trim();
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

  /** Fills defaults and validates; returns this. */
  public SeqparContext conclude() {
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

  /** The advertised Aeron endpoint host, or null to let the worker choose. */
  public String endpointHost() {
    return endpointHost;
  }

  public SeqparContext endpointHost(final String v) {
    endpointHost = v;
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
        + ", endpointHost="
        + endpointHost
        + ", jobId='"
        + jobId
        + "', token="
        + (token == null ? "unset" : "<redacted>")
        + "}";
  }
}
