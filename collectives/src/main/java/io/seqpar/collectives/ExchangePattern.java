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
   * AllReduce uses it only on request (docs/PERFORMANCE.md, "Collectives").
   */
  DIRECT,

  /**
   * Recursive halving, then doubling (AllReduce; power-of-two P): log2 P reduce-scatter steps with
   * the partner at distance P/2, P/4, …, 1, each trading half of the segment both still hold, then
   * log2 P all-gather steps back. The ring's bytes in 2·log2 P pairwise steps instead of 2(P − 1)
   * (Open MPI's vader made 6 single copies per rank and call at P = 8, 256 KiB: as many steps).
   * With ranks sharing cores every step costs context switches, so fewer steps pay while buffers
   * are small ({@link #reduceDefault}). Other P, and AllGather, run the ring.
   */
  HALVING,

  /**
   * Shared staging (AllReduce; ranks of one host over Aeron IPC): every rank copies its buffer into
   * a slot of one mapping the host's ranks share, whichever ranks are running sum it chunk by chunk
   * in rank order, and every rank copies the sum back. No messages: a rank needs to be scheduled
   * once to arrive and once to leave, where the ring needs it at every one of 2(P − 1) steps. Where
   * the transport has no such memory (UDP, in-memory) it falls back to {@link
   * #reduceMessageDefault}; AllGather runs the ring.
   */
  SHARED;

  /**
   * AllReduce's pattern unless told otherwise, where {@link #reduceDefault} picks neither {@link
   * #SHARED} nor {@link #HALVING}: the ring. Direct measured 1.1–1.5× slower at 256 KiB and
   * 1.6–3.4× slower at 1–4 MiB over IPC, P = 4 and 8 on 2 cores (2 alternating rounds): its
   * reduce-scatter round has every rank's chunks arrive at once, and the owners sum them in rank
   * order.
   */
  public static final ExchangePattern DEFAULT = RING;

  /** Largest per-rank buffer for which {@link #reduceMessageDefault} picks {@link #HALVING}. */
  public static final long HALVING_MAX_BYTES = 1 << 20;

  /** Largest per-rank buffer for which {@link #reduceDefault} picks {@link #SHARED} at P ≥ 8. */
  public static final long SHARED_MAX_BYTES = 4 << 20;

  /** Largest per-rank buffer for which {@link #reduceDefault} picks {@link #SHARED} at P < 8. */
  public static final long SHARED_FEW_RANKS_MAX_BYTES = 256 << 10;

  /**
   * AllReduce's pattern for a buffer of {@code bytes} unless told otherwise: {@link #SHARED} where
   * ranks outnumber cores and {@code bytes} ≤ {@link #SHARED_MAX_BYTES} (P ≥ 8) or {@link
   * #SHARED_FEW_RANKS_MAX_BYTES} (P < 8), else {@link #reduceMessageDefault}. Measured over IPC on
   * 2 cores beside Open MPI vader (2 alternating rounds, medians of 100 iterations, µs): P = 8, 64
   * KiB 161 / 224 against vader's 469 / 414 and the one-round path's 605 / 589; 256 KiB 430 / 481
   * against 579 / 575 (halving 793 / 782); 1 MiB 1333 / 1385 against 1936 / 1455; 4 MiB 4773 / 4815
   * against 7776 / 6978. P = 4: 256 KiB 203 / 203 against 267 / 238 (ring 388 / 280), but 1 MiB 718
   * / 730 against the ring's 681 / 643 (docs/PERFORMANCE.md).
   */
  public static ExchangePattern reduceDefault(
      final boolean oversubscribed, final int ranks, final long bytes) {
    final long sharedMax = ranks >= 8 ? SHARED_MAX_BYTES : SHARED_FEW_RANKS_MAX_BYTES;
    return oversubscribed && bytes <= sharedMax
        ? SHARED
        : reduceMessageDefault(oversubscribed, ranks, bytes);
  }

  /**
   * AllReduce's pattern by messages, where {@link #SHARED} is not picked or cannot run: {@link
   * #HALVING} where ranks outnumber cores, P is a power of two ≥ 8 and {@code bytes} ≤ {@link
   * #HALVING_MAX_BYTES}, else {@link #DEFAULT}. Measured over IPC on 2 cores (5 alternating rounds,
   * medians): P = 8, 256 KiB 0.78–1.14 ms against the ring's 1.01–1.53, 1 MiB 1.95–2.57 against
   * 2.16–2.90, with 89 context switches per call against 113; at 4 MiB halving's half-buffer
   * exchanges made it slower (7.3–10.7 ms against 5.3–6.3), and at P = 4 it did not gain.
   */
  public static ExchangePattern reduceMessageDefault(
      final boolean oversubscribed, final int ranks, final long bytes) {
    return oversubscribed
            && ranks >= 8
            && Integer.bitCount(ranks) == 1
            && bytes <= HALVING_MAX_BYTES
        ? HALVING
        : DEFAULT;
  }

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
