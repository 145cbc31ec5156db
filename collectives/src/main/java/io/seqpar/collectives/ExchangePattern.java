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
   * whatever P is, so a rank makes progress whenever it is scheduled instead of waiting for its
   * ring neighbour to be. Not the default: measured on 2 cores over IPC (docs/PERFORMANCE.md,
   * "Collectives") it gathers 1–4 MiB blocks 10–40% faster than the ring at P = 4 and 8, but 256
   * KiB blocks about 5× slower at P = 4, and AllReduce gains nothing.
   */
  DIRECT;

  /** The pattern collectives use unless told otherwise. */
  public static final ExchangePattern DEFAULT = RING;
}
