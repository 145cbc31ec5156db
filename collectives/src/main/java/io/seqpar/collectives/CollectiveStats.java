package io.seqpar.collectives;

/**
 * Communication accounting of one collective call on one rank: bytes moved, messages and whole
 * states received, and time spent waiting in {@code await}. Mutable and reused by its collective
 * (no allocation per call); read it after the call returns.
 *
 * <p>{@code statesReceived} counts full (log-decay, state) summaries received, whatever the number
 * of blocks they came in: All-Scan and chain 1 on every rank but the first (0), LASP-2 AllGather
 * P−1, tree scan one per round in which a partner exists (⌈log2 P⌉ on ranks ≥ 2^(⌈log2 P⌉−1)).
 */
public final class CollectiveStats {
  long bytesSent;
  long bytesReceived;
  long messagesSent;
  long messagesReceived;
  long statesReceived;
  long waitNs;

  public long bytesSent() {
    return bytesSent;
  }

  public long bytesReceived() {
    return bytesReceived;
  }

  public long messagesSent() {
    return messagesSent;
  }

  public long messagesReceived() {
    return messagesReceived;
  }

  public long statesReceived() {
    return statesReceived;
  }

  /** Nanoseconds spent inside {@code await} (time not overlapped with the caller's work). */
  public long waitNs() {
    return waitNs;
  }

  void reset() {
    bytesSent = 0;
    bytesReceived = 0;
    messagesSent = 0;
    messagesReceived = 0;
    statesReceived = 0;
    waitNs = 0;
  }

  @Override
  public String toString() {
    return "CollectiveStats{bytesSent="
        + bytesSent
        + ", bytesReceived="
        + bytesReceived
        + ", messagesSent="
        + messagesSent
        + ", messagesReceived="
        + messagesReceived
        + ", statesReceived="
        + statesReceived
        + ", waitNs="
        + waitNs
        + '}';
  }
}
