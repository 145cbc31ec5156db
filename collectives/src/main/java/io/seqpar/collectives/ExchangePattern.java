package io.seqpar.collectives;

/**
 * How AllGather and AllReduce move blocks between ranks. Both patterns send and receive the same
 * bytes per rank; they differ in how many rounds a rank must be scheduled for.
 */
public enum ExchangePattern {
  /**
   * Ring: P − 1 steps (AllReduce 2(P − 1)), each a send to rank + 1 and a receive from rank − 1 of
   * one block. Bandwidth-optimal on a network where links work in parallel; every step needs both
   * neighbours running.
   */
  RING,

  /**
   * Direct: every rank posts its blocks for every peer at once (AllReduce: one reduce-scatter round
   * to the chunk owners, who sum in rank order, then one all-gather round). One or two rounds
   * whatever P is, so when ranks outnumber cores a rank makes progress whenever it is scheduled
   * instead of waiting for its ring neighbour to be. Measured on 2 cores, IPC, P = 8, 4 MiB per
   * rank: see docs/PERFORMANCE.md, "Collectives".
   */
  DIRECT;

  /**
   * {@link #DIRECT} when the communicator's ranks outnumber the host's cores, else {@link #RING}.
   */
  public static ExchangePattern defaultFor(final Communicator comm) {
    return comm.oversubscribed() ? DIRECT : RING;
  }
}
