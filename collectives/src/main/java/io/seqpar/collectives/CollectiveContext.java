package io.seqpar.collectives;

import io.seqpar.collectives.transport.EmbeddedDriver;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.IdleStrategy;

/**
 * Settings of a {@link Communicator}: the job and epoch every frame is fenced with, the default
 * deadline of a collective, and how a rank idles while waiting. {@link #conclude()} fills defaults
 * and validates, naming the field, the value and the allowed range.
 */
public final class CollectiveContext {
  /** Default deadline of one collective call. */
  public static final long DEFAULT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

  /** Default number of operations (sends plus receives) that may be posted at once. */
  public static final int DEFAULT_MAX_OPS = 1024;

  /**
   * Default size from which a message to a rank on this host is copied once, straight from the
   * sender's memory, instead of going through frames (where the transport supports it).
   */
  public static final int DEFAULT_SINGLE_COPY_MIN_BYTES = 64 * 1024;

  /** Smallest {@link #singleCopyMinBytes} accepted. */
  public static final int MIN_SINGLE_COPY_MIN_BYTES = 1024;

  private long jobId;
  private long epoch;
  private long timeoutNs = DEFAULT_TIMEOUT_NS;
  private IdleStrategy idleStrategy;
  private int maxOps = DEFAULT_MAX_OPS;
  private int localRanks = 1;
  private int singleCopyMinBytes = DEFAULT_SINGLE_COPY_MIN_BYTES;

  public CollectiveContext jobId(final long v) {
    jobId = v;
    return this;
  }

  public CollectiveContext epoch(final long v) {
    epoch = v;
    return this;
  }

  /** Deadline of one collective call, from its start. */
  public CollectiveContext timeoutNs(final long v) {
    timeoutNs = v;
    return this;
  }

  /** How to idle between polls; default {@link EmbeddedDriver#parkingIdleStrategy()} (parks). */
  public CollectiveContext idleStrategy(final IdleStrategy v) {
    idleStrategy = v;
    return this;
  }

  /**
   * How many ranks of this group share this host's cores (P for IPC, 1 for UDP across hosts).
   * Collectives tune for oversubscription with it ({@link #oversubscribed()}); default 1.
   */
  public CollectiveContext localRanks(final int v) {
    localRanks = v;
    return this;
  }

  /**
   * Messages of at least this many bytes go as a descriptor the receiver copies from when the
   * transport offers single copy ({@code Transport.rendezvousBoard()}); {@link Integer#MAX_VALUE}
   * turns it off. Default {@link #DEFAULT_SINGLE_COPY_MIN_BYTES}.
   */
  public CollectiveContext singleCopyMinBytes(final int v) {
    singleCopyMinBytes = v;
    return this;
  }

  public CollectiveContext maxOps(final int v) {
    maxOps = v;
    return this;
  }

  public CollectiveContext conclude() {
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
    }
    if (timeoutNs <= 0) {
      throw new IllegalArgumentException("timeoutNs must be > 0, got " + timeoutNs);
    }
    if (maxOps < 8 || maxOps > (1 << 20) || Integer.bitCount(maxOps) != 1) {
      throw new IllegalArgumentException(
          "maxOps must be a power of two in [8, 1048576], got " + maxOps);
    }
    if (localRanks < 1) {
      throw new IllegalArgumentException("localRanks must be >= 1, got " + localRanks);
    }
    if (singleCopyMinBytes < MIN_SINGLE_COPY_MIN_BYTES) {
      throw new IllegalArgumentException(
          "singleCopyMinBytes must be >= "
              + MIN_SINGLE_COPY_MIN_BYTES
              + " (or Integer.MAX_VALUE for off), got "
              + singleCopyMinBytes);
    }
    if (idleStrategy == null) {
      idleStrategy = EmbeddedDriver.parkingIdleStrategy();
    }
    return this;
  }

  public long jobId() {
    return jobId;
  }

  public long epoch() {
    return epoch;
  }

  public long timeoutNs() {
    return timeoutNs;
  }

  public IdleStrategy idleStrategy() {
    return idleStrategy;
  }

  public int maxOps() {
    return maxOps;
  }

  public int singleCopyMinBytes() {
    return singleCopyMinBytes;
  }

  public int localRanks() {
    return localRanks;
  }

  /** Whether more ranks share this host than it has cores, so ranks cannot all run at once. */
  public boolean oversubscribed() {
    return EmbeddedDriver.oversubscribed(localRanks);
  }
}
