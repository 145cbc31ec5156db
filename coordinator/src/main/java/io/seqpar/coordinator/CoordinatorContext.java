package io.seqpar.coordinator;

import io.seqpar.InvalidInputException;
import io.seqpar.proto.v1.JobSpec;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Configuration of one coordinator process; {@link #conclude()} fills defaults and validates,
 * naming the setting, the value and what is allowed. {@link #toString()} redacts the token.
 */
public final class CoordinatorContext {
  /** gRPC port of the manifests (conventions §1.7). */
  public static final int DEFAULT_PORT = 7000;

  /** Metrics port meaning "do not serve /metrics". */
  public static final int METRICS_DISABLED = -1;

  private int port = DEFAULT_PORT;
  private int metricsPort = METRICS_DISABLED;
  private Path readyFile;
  private Path metricsJsonl;
  private String token;
  private JobSpec job;
  private String jobId = "";
  private Path tlsCert;
  private Path tlsKey;
  private Path tlsClientCa;
  private long shutdownGraceMs = 5_000;

  /** Validates; returns this. */
  public CoordinatorContext conclude() {
    if (port < 0 || port > 65535) {
      throw new InvalidInputException(
          "--port: " + port + " is not allowed (allowed: 0..65535, 0 = ephemeral)");
    }
    if (metricsPort < METRICS_DISABLED || metricsPort > 65535) {
      throw new InvalidInputException(
          "--metrics-port: "
              + metricsPort
              + " is not allowed (allowed: 0..65535, 0 = ephemeral, -1 = off)");
    }
    if (token == null || token.isEmpty()) {
      throw new InvalidInputException(
          "--token/SEQPAR_TOKEN: empty is not allowed (allowed: a non-empty secret)");
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new InvalidInputException(
          "--tls-cert/--tls-key: both or neither are allowed (got only one)");
    }
    if (tlsClientCa != null && tlsCert == null) {
      throw new InvalidInputException(
          "--tls-client-ca: allowed only with --tls-cert and --tls-key");
    }
    for (final Path p : new Path[] {tlsCert, tlsKey, tlsClientCa}) {
      if (p != null && !Files.isReadable(p)) {
        throw new InvalidInputException("TLS file " + p + ": not a readable file");
      }
    }
    if (shutdownGraceMs < 0) {
      throw new InvalidInputException(
          "shutdownGraceMs: " + shutdownGraceMs + " is not allowed (allowed: >= 0)");
    }
    return this;
  }

  public int port() {
    return port;
  }

  public CoordinatorContext port(final int v) {
    port = v;
    return this;
  }

  public int metricsPort() {
    return metricsPort;
  }

  public CoordinatorContext metricsPort(final int v) {
    metricsPort = v;
    return this;
  }

  public Path readyFile() {
    return readyFile;
  }

  public CoordinatorContext readyFile(final Path v) {
    readyFile = v;
    return this;
  }

  public Path metricsJsonl() {
    return metricsJsonl;
  }

  public CoordinatorContext metricsJsonl(final Path v) {
    metricsJsonl = v;
    return this;
  }

  /** The job token (secret). */
  public String token() {
    return token;
  }

  public CoordinatorContext token(final String v) {
    token = v;
    return this;
  }

  /** The job submitted at startup, or null to wait for {@code JobAdmin.Submit}. */
  public JobSpec job() {
    return job;
  }

  public CoordinatorContext job(final JobSpec v) {
    job = v;
    return this;
  }

  public String jobId() {
    return jobId;
  }

  public CoordinatorContext jobId(final String v) {
    jobId = v == null ? "" : v;
    return this;
  }

  public Path tlsCert() {
    return tlsCert;
  }

  public CoordinatorContext tlsCert(final Path v) {
    tlsCert = v;
    return this;
  }

  public Path tlsKey() {
    return tlsKey;
  }

  public CoordinatorContext tlsKey(final Path v) {
    tlsKey = v;
    return this;
  }

  /** CA that client certificates must chain to; null = no client certificates required. */
  public Path tlsClientCa() {
    return tlsClientCa;
  }

  public CoordinatorContext tlsClientCa(final Path v) {
    tlsClientCa = v;
    return this;
  }

  public long shutdownGraceMs() {
    return shutdownGraceMs;
  }

  public CoordinatorContext shutdownGraceMs(final long v) {
    shutdownGraceMs = v;
    return this;
  }

  @Override
  public String toString() {
    return "CoordinatorContext{port="
        + port
        + ", metricsPort="
        + metricsPort
        + ", tls="
        + (tlsCert != null)
        + ", clientCerts="
        + (tlsClientCa != null)
        + ", token=<redacted>}";
  }
}
