package io.seqpar.worker.runtime;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Deadlines and retry bounds of {@link CoordinatorClient}, with units in the names.
 *
 * @param callTimeoutMs deadline of every short call (heartbeat, report)
 * @param registerTimeoutMs total time registration may take, retries included
 * @param registerAttemptTimeoutMs deadline of one Register attempt (it waits for all P workers)
 * @param initialBackoffMs first pause between registration attempts; doubles up to maxBackoffMs
 * @param maxBackoffMs longest pause between attempts
 * @param barrierTimeoutMs deadline of one StepBarrier call
 * @param coordinatorLostTimeoutMs abort when the coordinator was unreachable this long; 0 means the
 *     heartbeat timeout the coordinator announces at registration
 * @param coordinatorHost DNS name checked before each registration attempt, or null to skip
 * @param resolver name lookup (tests replace it); must not cache failures
 */
public record CoordinatorClientOptions(
    long callTimeoutMs,
    long registerTimeoutMs,
    long registerAttemptTimeoutMs,
    long initialBackoffMs,
    long maxBackoffMs,
    long barrierTimeoutMs,
    long coordinatorLostTimeoutMs,
    String coordinatorHost,
    HostResolver resolver) {

  /** Resolves a host name; throws if it does not resolve (yet). */
  @FunctionalInterface
  public interface HostResolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  /** Defaults: 10 s calls, 5 min registration, 100 ms..5 s backoff, 10 min barriers. */
  public static CoordinatorClientOptions defaults(final String coordinatorHost) {
    return new CoordinatorClientOptions(
        10_000,
        300_000,
        60_000,
        100,
        5_000,
        600_000,
        0,
        coordinatorHost,
        InetAddress::getAllByName);
  }

  public CoordinatorClientOptions withRegisterTimeoutMs(final long v) {
    return new CoordinatorClientOptions(
        callTimeoutMs,
        v,
        registerAttemptTimeoutMs,
        initialBackoffMs,
        maxBackoffMs,
        barrierTimeoutMs,
        coordinatorLostTimeoutMs,
        coordinatorHost,
        resolver);
  }

  public CoordinatorClientOptions withResolver(final HostResolver v) {
    return new CoordinatorClientOptions(
        callTimeoutMs,
        registerTimeoutMs,
        registerAttemptTimeoutMs,
        initialBackoffMs,
        maxBackoffMs,
        barrierTimeoutMs,
        coordinatorLostTimeoutMs,
        coordinatorHost,
        v);
  }

  public CoordinatorClientOptions withCoordinatorLostTimeoutMs(final long v) {
    return new CoordinatorClientOptions(
        callTimeoutMs,
        registerTimeoutMs,
        registerAttemptTimeoutMs,
        initialBackoffMs,
        maxBackoffMs,
        barrierTimeoutMs,
        v,
        coordinatorHost,
        resolver);
  }

  /** Checks ranges; returns this. */
  public CoordinatorClientOptions validate() {
    if (callTimeoutMs < 1
        || registerTimeoutMs < 1
        || registerAttemptTimeoutMs < 1
        || initialBackoffMs < 1
        || maxBackoffMs < initialBackoffMs
        || barrierTimeoutMs < 1
        || coordinatorLostTimeoutMs < 0
        || resolver == null) {
      throw new IllegalArgumentException("coordinator client options out of range: " + this);
    }
    return this;
  }
}
