package io.seqpar.worker.sp;

/**
 * Accounting of one pass (forward or backward) of the SP operator on one rank: time computing, time
 * from posting the collective to its completion, the part of it that was exposed (the wait after
 * local work was done), bytes moved and whole states received. Reused across calls; read it after
 * the call returns.
 */
public final class SpCallStats {
  long totalNs;
  long exposedNs;
  long bytesSent;
  long bytesReceived;
  long statesReceived;
  long computeCpuNs;

  /** Wall time of the whole pass. */
  public long totalNs() {
    return totalNs;
  }

  /** Time blocked on communication after the local work was done. */
  public long exposedNs() {
    return exposedNs;
  }

  public long bytesSent() {
    return bytesSent;
  }

  public long bytesReceived() {
    return bytesReceived;
  }

  /**
   * Thread CPU time of the local compute sections (softmax operators; 0 where not measured). CPU
   * time, unlike wall time, does not grow when ranks share cores, so it shows the work balance.
   */
  public long computeCpuNs() {
    return computeCpuNs;
  }

  /** Whole (log-decay, state) summaries received in this pass. */
  public long statesReceived() {
    return statesReceived;
  }

  void reset() {
    totalNs = 0;
    exposedNs = 0;
    bytesSent = 0;
    bytesReceived = 0;
    statesReceived = 0;
    computeCpuNs = 0;
  }

  @Override
  public String toString() {
    return String.format(
        "total=%.3f ms exposed=%.3f ms sent=%d B received=%d B states=%d",
        totalNs / 1e6, exposedNs / 1e6, bytesSent, bytesReceived, statesReceived);
  }
}
