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
   * ring neighbour to be. AllGather's default where ranks outnumber cores ({@link #gatherDefault});
   * AllReduce keeps the ring (docs/PERFORMANCE.md, "Collectives").
   */
  DIRECT;

  /**
   * AllReduce's pattern unless told otherwise: the ring. Direct measured 1.1–1.5× slower at 256 KiB
   * and 1.6–3.4× slower at 1–4 MiB over IPC, P = 4 and 8 on 2 cores (2 alternating rounds): its
   * reduce-scatter round has every rank's chunks arrive at once, and the owners sum them in rank
   * order.
   */
  public static final ExchangePattern DEFAULT = RING;

  /**
   * AllGather's pattern unless told otherwise: {@link #DIRECT} where this host's ranks outnumber
   * its cores, else {@link #RING}. Oversubscribed, the ring's P − 1 steps each wait for a neighbour
   * to be scheduled; measured over IPC on 2 cores (code at eb01711, 3 alternating rounds), direct
   * gathered faster in 18 of 18 pairs: P = 8, 256 KiB–4 MiB, 1.2–2.0 / 5.2–7.9 / 25–33 ms against
   * 2.2 / 8.3–9.7 / 35–43 ms; P = 4 0.23–0.29 / 0.96–1.13 / 6.4–7.2 ms against 0.29–0.66 /
   * 1.33–1.52 / 7.3–7.9 ms. With a core per rank, and between hosts, the ring stays: there its
   * steps overlap on independent links.
   */
  public static ExchangePattern gatherDefault(final boolean oversubscribed) {
    return oversubscribed ? DIRECT : RING;
  }
}
