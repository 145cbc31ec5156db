package io.seqpar.collectives.algo;

import io.seqpar.collectives.Communicator;
import io.seqpar.tensor.FloatSums;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The memory and the protocol of {@link io.seqpar.collectives.ExchangePattern#SHARED}: one
 * read-write mapping every rank of the host shares, where ranks leave their input, whichever ranks
 * are running sum it chunk by chunk, and every rank copies the sum back.
 *
 * <pre>
 *   [ arrived[q]: int64 call sequence, 64 bytes apart, q &lt; P ][ slot bytes ][ claim ][ done ]
 *   [ slot 0 | slot 1 | … | slot P−1 | result ]            (each slot {@code slotBytes}, 4 KiB aligned)
 *
 *   start (rank r, call s):  copy the window into slot r;  arrived[r] = s + 1 (release)
 *   once arrived[q] ≥ s + 1 for every q (a rank already in a later call has left this one):
 *     claim chunk c (tagged counter) → result[c] = slot_0[c] + slot_1[c] + … (rank order);  done++
 *   once done = chunks:  copy result into the window;  the call is complete
 * </pre>
 *
 * Arrivals hold the call sequence + 1 (a fresh mapping reads 0). Counters hold {@code ((call
 * sequence + 1) mod 2³²) << 32 | count}, so a new call starts from 0 without anyone resetting them.
 * Reuse is safe without more synchronisation: a rank writes its slot for the next call only after
 * it saw every chunk of this one summed (no one reads the slots any more), and the next call's sums
 * start only once every rank arrived at it, i.e. after every rank copied this call's result out.
 */
final class SharedStaging {
  /** Floats one claim sums: 16 KiB per slot, small enough that two running ranks share the work. */
  static final int CHUNK_FLOATS = 4096;

  private static final int LINE = 64;
  private static final long PAGE = 4096;
  private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

  private final MemorySegment memory;
  private final int ranks;
  private final long slotBytes;
  private final long slotsAt;
  private final long slotBytesAt;
  private final long claimAt;
  private final long doneAt;
  private long tag;

  private int chunks;
  private int floats;

  private SharedStaging(final MemorySegment memory, final int ranks, final long slotBytes) {
    this.memory = memory;
    this.ranks = ranks;
    this.slotBytes = slotBytes;
    this.slotBytesAt = (long) ranks * LINE;
    this.claimAt = slotBytesAt + LINE;
    this.doneAt = claimAt + LINE;
    this.slotsAt = roundUp(doneAt + LINE, PAGE);
  }

  /**
   * Maps a fresh staging area for {@code maxBytes} per rank, or returns null on every rank when the
   * group cannot share one. Collective: every rank of {@code comm} calls it at the same point. Rank
   * 0 names the area with a random nonce, maps it and broadcasts the nonce (0: none could be made),
   * so all ranks agree on whether staging runs, and a group restarted with the same job, epoch and
   * driver directory never meets an earlier attempt's marks and counters.
   *
   * @throws IllegalStateException when rank 0 made the area and this rank cannot map it
   */
  static SharedStaging open(final Communicator comm, final long maxBytes) {
    if (comm.ranks() < 2 || !comm.sharesMemory()) {
      return null;
    }
    final long bytes = bytesFor(comm.ranks(), maxBytes);
    final MemorySegment nonce = Arena.ofAuto().allocate(Long.BYTES, Long.BYTES);
    MemorySegment memory = null;
    if (comm.rank() == 0) {
      final long n = ThreadLocalRandom.current().nextLong() | 1; // never 0
      memory = comm.groupMemory(name(n), bytes);
      nonce.set(ValueLayout.JAVA_LONG, 0, memory == null ? 0 : n);
    }
    final Broadcast agree = new Broadcast(comm);
    agree.start(nonce, Long.BYTES, 0);
    agree.await();
    final long n = nonce.get(ValueLayout.JAVA_LONG, 0);
    if (n == 0) {
      return null;
    }
    if (memory == null) {
      memory = comm.groupMemory(name(n), bytes);
      if (memory == null) {
        throw new IllegalStateException(
            "allreduce(shared): rank="
                + comm.rank()
                + " cannot map the staging area "
                + name(n)
                + " of "
                + bytes
                + " bytes that rank 0 made (is /dev/shm full?)");
      }
    }
    return over(memory, comm.rank(), comm.ranks(), maxBytes);
  }

  private static String name(final long nonce) {
    return "allreduce-" + Long.toHexString(nonce);
  }

  /** Bytes of the mapping for {@code ranks} slots of {@code maxBytes}. */
  static long bytesFor(final int ranks, final long maxBytes) {
    final long slot = roundUp(Math.max(maxBytes, Float.BYTES), PAGE);
    return roundUp((long) ranks * LINE + 3L * LINE, PAGE) + (ranks + 1L) * slot;
  }

  /**
   * Lays the protocol over {@code memory} ({@link #bytesFor} bytes). Every rank must pass the same
   * {@code maxBytes}: the first records it, the others compare.
   *
   * @throws IllegalStateException naming both sizes when a rank of the group recorded another
   */
  static SharedStaging over(
      final MemorySegment memory, final int rank, final int ranks, final long maxBytes) {
    final long slot = roundUp(Math.max(maxBytes, Float.BYTES), PAGE);
    final SharedStaging s = new SharedStaging(memory, ranks, slot);
    final long seen = (long) LONG.compareAndExchange(memory, s.slotBytesAt, 0L, slot);
    if (seen != 0 && seen != slot) {
      throw new IllegalStateException(
          "allreduce(shared): rank="
              + rank
              + " has slots of "
              + slot
              + " bytes, the group's staging area was made with "
              + seen
              + " (every rank must pass the same maxBytes)");
    }
    return s;
  }

  /**
   * Begins call {@code seq}: rank {@code rank}'s {@code n} floats at {@code dataAt} into its slot.
   */
  void arrive(
      final long seq, final int rank, final MemorySegment data, final long dataAt, final int n) {
    tag = (seq + 1) & 0xffff_ffffL;
    floats = n;
    chunks = (n + CHUNK_FLOATS - 1) / CHUNK_FLOATS;
    MemorySegment.copy(
        data, dataAt * Float.BYTES, memory, slotsAt + rank * slotBytes, (long) n * Float.BYTES);
    LONG.setRelease(memory, (long) rank * LINE, seq + 1); // + 1: a fresh mapping reads 0
  }

  /**
   * The first rank that has not arrived at call {@code seq}, or −1 when all have. A rank already in
   * a later call counts as arrived: it left this one after every chunk was summed, and waiting for
   * its mark to equal this call's would wait forever.
   */
  int firstMissing(final long seq) {
    for (int q = 0; q < ranks; q++) {
      if ((long) LONG.getAcquire(memory, (long) q * LINE) < seq + 1) {
        return q;
      }
    }
    return -1;
  }

  /**
   * Whether a rank in call {@code seq} has work now: every rank arrived, and a chunk is left to
   * claim or all are summed (the result is ready to copy).
   */
  boolean ready(final long seq) {
    return firstMissing(seq) < 0 && (chunksLeft() || summed());
  }

  /** Whether a chunk is left to claim. */
  boolean chunksLeft() {
    return count(claimAt) < chunks;
  }

  /** Whether every chunk of the current call is summed. */
  boolean summed() {
    return count(doneAt) >= chunks;
  }

  /** Claims and sums chunks until none is left; returns how many this rank summed. */
  int sumChunks() {
    int summed = 0;
    int c;
    while ((c = increment(claimAt, chunks)) >= 0) {
      final int lo = c * CHUNK_FLOATS;
      final int len = Math.min(CHUNK_FLOATS, floats - lo);
      final long result = slotsAt + ranks * slotBytes;
      MemorySegment.copy(
          memory,
          slotsAt + (long) lo * Float.BYTES,
          memory,
          result + (long) lo * Float.BYTES,
          (long) len * Float.BYTES);
      for (int q = 1; q < ranks; q++) {
        FloatSums.addInto(
            memory,
            result / Float.BYTES + lo,
            memory,
            (slotsAt + q * slotBytes) / Float.BYTES + lo,
            len);
      }
      summed++;
      increment(doneAt, Integer.MAX_VALUE);
    }
    return summed;
  }

  /** Copies the summed result into {@code data} at {@code dataAt}. */
  void copyResult(final MemorySegment data, final long dataAt) {
    MemorySegment.copy(
        memory,
        slotsAt + ranks * slotBytes,
        data,
        dataAt * Float.BYTES,
        (long) floats * Float.BYTES);
  }

  /** The count of the current call in the tagged counter at {@code at}. */
  private long count(final long at) {
    final long w = (long) LONG.getVolatile(memory, at);
    return (w >>> 32) == tag ? w & 0xffff_ffffL : 0;
  }

  /** Increments the tagged counter at {@code at} below {@code limit}; its old count, or −1. */
  private int increment(final long at, final int limit) {
    while (true) {
      final long w = (long) LONG.getVolatile(memory, at);
      final long c = (w >>> 32) == tag ? w & 0xffff_ffffL : 0;
      if (c >= limit) {
        return -1;
      }
      if (LONG.compareAndSet(memory, at, w, (tag << 32) | (c + 1))) {
        return (int) c;
      }
    }
  }

  private static long roundUp(final long v, final long to) {
    return (v + to - 1) / to * to;
  }
}
