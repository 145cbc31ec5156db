package io.seqpar.collectives.algo;

import io.seqpar.collectives.AbstractCollective;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.ExchangePattern;
import io.seqpar.tensor.FloatSums;
import io.seqpar.tensor.LargePages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * In-place float32 sum AllReduce; every rank ends with bit-identical results.
 *
 * <p><b>Small buffers</b> (≤ {@link #smallBytes()}, or fewer floats than ranks): one round, latency
 * optimal. Every rank sends its buffer to every other rank, then all ranks sum the P buffers in
 * rank order (same order everywhere, hence identical bits). 1 round: {@code α + (P−1)βn}.
 *
 * <p><b>Large buffers</b>: ring reduce-scatter then ring all-gather over P chunks ({@code chunk c =
 * floats [c·n/P, (c+1)·n/P)}), bandwidth optimal: {@code 2(P−1)(α + βn/P)}.
 *
 * <pre>
 *   reduce-scatter s = 0..P−2:  send chunk r−s to r+1;  recv chunk r−s−1 from r−1 into tmp;  chunk += tmp
 *   all-gather     s = 0..P−2:  send chunk r+1−s to r+1; recv chunk r−s from r−1 in place
 * </pre>
 *
 * (mod P; tags s and P−1+s). After reduce-scatter rank r owns the full sum of chunk r+1.
 *
 * <p><b>Large buffers, direct</b> ({@link ExchangePattern#DIRECT}, on request): the same chunks and
 * bytes in two rounds instead of 2(P−1) steps.
 *
 * <pre>
 *   round 0: send chunk q to rank q (every q ≠ r);  recv chunk r from every q into scratch slot q
 *            chunk r = x_0 + x_1 + … + x_{P−1}  (rank order)
 *   round 1: send chunk r to every q ≠ r;  recv chunk q from rank q in place
 * </pre>
 *
 * (tags 0 and 1; sends staggered r+1, r+2, …). Round 1 is posted once every round-0 operation has
 * completed, so no chunk is overwritten while a send of it is in flight.
 *
 * <p><b>Large buffers, halving</b> ({@link ExchangePattern#HALVING}, P a power of two; other P run
 * the ring): the segment both partners hold is halved at every reduce-scatter step, then the halves
 * are gathered back in reverse.
 *
 * <pre>
 *   reduce-scatter s = 0..L−1 (L = log2 P, d = P >> (s+1), partner r XOR d):
 *     [lo, hi) → keep [lo, mid) if r AND d = 0, else [mid, hi);  send the other half;
 *     recv the partner's copy of the kept half into tmp;  kept += tmp
 *   all-gather     s = L−1..0: send the segment kept at step s;  recv the partner's in place
 * </pre>
 *
 * (tags 0..2L−1). Each float is summed by one rank per step along a tree fixed by its index, and
 * the owner's final sum is copied to everyone, so all ranks hold identical bits.
 *
 * <p><b>Shared staging</b> ({@link ExchangePattern#SHARED}, ranks of one host over Aeron IPC;
 * elsewhere {@link ExchangePattern#reduceMessageDefault}): no messages. Each rank copies its window
 * into its slot of a mapping the host's ranks share; once all have, whichever ranks are running
 * claim chunks and sum them in rank order; once all chunks are summed every rank copies the result
 * back ({@link SharedStaging}). Where ranks outnumber cores this needs each rank scheduled about
 * twice per call, the ring 2(P − 1) times. Every float is summed in rank order by one rank, so all
 * ranks hold identical bits, and windows give the bits of a whole call.
 *
 * <p><b>Windows</b> ({@link #start(MemorySegment, int, int, int)}): floats {@code [from, to)} of a
 * {@code count}-float buffer, reduced with the algorithm and the chunks of the whole buffer, each
 * message cut to its chunk's part of the window and skipped (on both ends) where that part is
 * empty. Every float is summed by the same ranks in the same order as by {@code start(data,
 * count)}, so reducing a partition of the buffer window by window gives the same bits as one call
 * (gradient buckets overlapping backward rely on this).
 */
public final class AllReduce extends AbstractCollective {
  /** Default threshold between the one-round and the ring algorithm. */
  public static final int DEFAULT_SMALL_BYTES = 64 * 1024;

  private static final int NO_OP = -1;

  private final int smallBytes;
  private final int maxBytes;
  private final ExchangePattern pattern;
  private final long slotBytes;
  // HALVING: log2 P (0 where P is not a power of two), whether this instance halves, and the
  // segment this rank holds before reduce-scatter step s (s = levels: the one it owns).
  private final int levels;
  private final boolean halving;
  private final int[] segFrom;
  private final int[] segTo;
  private final MemorySegment scratch;
  // SHARED: the staging area the host's ranks share; null for every other pattern.
  private final SharedStaging staging;
  private final int[] ops;
  private int opCount;
  private MemorySegment data;
  private int count;
  private int from;
  private int to;
  private boolean small;
  private int step;
  private int sendOp;
  private int recvOp;
  private boolean finished;

  /** For buffers up to {@code maxBytes}; scratch is sized for that once. */
  public AllReduce(final Communicator comm, final int maxBytes) {
    this(comm, maxBytes, DEFAULT_SMALL_BYTES);
  }

  /**
   * With {@link ExchangePattern#reduceDefault} for the communicator's host and {@code maxBytes}
   * (collective where that is {@link ExchangePattern#SHARED} and the ranks share memory: see
   * below).
   */
  public AllReduce(final Communicator comm, final int maxBytes, final int smallBytes) {
    this(
        comm,
        maxBytes,
        smallBytes,
        ExchangePattern.reduceDefault(comm.oversubscribed(), comm.ranks(), maxBytes));
  }

  /**
   * @param pattern of the large-buffer path; scratch is one chunk for {@link ExchangePattern#RING},
   *     P chunks (≈ maxBytes) for {@link ExchangePattern#DIRECT} and half of maxBytes for {@link
   *     ExchangePattern#HALVING}; {@link ExchangePattern#SHARED} maps P + 1 slots of maxBytes that
   *     the host's ranks share, and then construction is collective: the ranks agree on the area
   *     with one broadcast (the k-th AllReduce each rank creates meets the k-th of the others)
   */
  public AllReduce(
      final Communicator comm,
      final int maxBytes,
      final int smallBytes,
      final ExchangePattern pattern) {
    super(comm);
    this.maxBytes = maxBytes;
    this.smallBytes = smallBytes;
    this.staging = pattern == ExchangePattern.SHARED ? SharedStaging.open(comm, maxBytes) : null;
    this.pattern =
        pattern != ExchangePattern.SHARED || staging != null
            ? pattern
            : ExchangePattern.reduceMessageDefault(comm.oversubscribed(), comm.ranks(), maxBytes);
    final long smallScratch = staging != null ? 0 : (long) Math.min(smallBytes, maxBytes) * ranks;
    this.slotBytes = ((long) maxBytes / Float.BYTES / Math.max(1, ranks) + 1) * Float.BYTES;
    this.levels = Integer.bitCount(ranks) == 1 ? Integer.numberOfTrailingZeros(ranks) : 0;
    this.halving = this.pattern == ExchangePattern.HALVING && levels > 0;
    final long largeScratch =
        staging != null
            ? 0
            : this.pattern == ExchangePattern.DIRECT
                ? slotBytes * ranks
                : halving ? ((long) maxBytes / Float.BYTES / 2 + 1) * Float.BYTES : slotBytes;
    this.segFrom = new int[levels + 1];
    this.segTo = new int[levels + 1];
    this.scratch =
        LargePages.allocate(
            Arena.ofAuto(), Math.max(Float.BYTES, Math.max(smallScratch, largeScratch)), 64);
    this.ops = new int[2 * Math.max(1, ranks)];
  }

  public ExchangePattern pattern() {
    return pattern;
  }

  public int smallBytes() {
    return smallBytes;
  }

  /** Starts summing {@code count} floats of {@code data} across ranks, in place. */
  public void start(final MemorySegment data, final int count) {
    start(data, count, 0, count);
  }

  /**
   * Starts summing floats {@code [from, to)} of the {@code count}-float buffer {@code data} across
   * ranks, in place, with the chunking of the whole buffer: each float gets the bits {@code
   * start(data, count)} would give it. Floats outside the window are neither read nor written.
   */
  public void start(final MemorySegment data, final int count, final int from, final int to) {
    final long bytes = (long) count * Float.BYTES;
    if (count < 0 || bytes > maxBytes || bytes > data.byteSize()) {
      throw new IllegalArgumentException(
          "allreduce: count must be in [0, "
              + maxBytes / Float.BYTES
              + "] and fit the buffer of "
              + data.byteSize()
              + " bytes, got "
              + count);
    }
    if (from < 0 || to < from || to > count) {
      throw new IllegalArgumentException(
          "allreduce: window [" + from + ", " + to + ") outside [0, " + count + ")");
    }
    small = staging == null && (bytes <= smallBytes || count < ranks);
    final long seq =
        begin(
            staging != null
                ? "allreduce(shared)"
                : small
                    ? "allreduce(one-round)"
                    : pattern == ExchangePattern.DIRECT
                        ? "allreduce(direct)"
                        : halving ? "allreduce(halving)" : "allreduce(ring)");
    this.data = data;
    this.count = count;
    this.from = from;
    this.to = to;
    opCount = 0;
    finished = false;
    if (ranks == 1 || from == to) {
      finished = true;
      completeLocally();
      return;
    }
    if (staging != null) {
      staging.arrive(seq, rank, data, from, to - from);
      if (staging.firstMissing(seq) < 0) {
        comm.ringAll(); // the last to arrive: wake the ranks that sleep waiting for it
      }
      return;
    }
    if (small) {
      final long winOff = (long) from * Float.BYTES;
      final int winBytes = (to - from) * Float.BYTES;
      for (int q = 0; q < ranks; q++) {
        if (q != rank) {
          ops[opCount++] = comm.postSend(seq, 0, q, data, winOff, winBytes);
          ops[opCount++] = comm.postRecv(seq, 0, q, scratch, (long) q * winBytes, winBytes);
        }
      }
    } else if (pattern == ExchangePattern.DIRECT) {
      step = 0;
      postDirectReduceScatter();
    } else if (halving) {
      step = 0;
      halveSegments();
      postHalvingStep();
    } else {
      step = 0;
      postRingStep();
    }
  }

  /** Round 0 of the direct path: chunk q's part of the window to q, own chunk from everyone. */
  private void postDirectReduceScatter() {
    final int ownFloats = chunkFloats(rank);
    for (int s = 1; s < ranks; s++) {
      final int to = (rank + s) % ranks;
      final int sendFloats = chunkFloats(to);
      if (sendFloats > 0) {
        ops[opCount++] =
            comm.postSend(
                sequence(), 0, to, data, chunkFrom(to) * Float.BYTES, sendFloats * Float.BYTES);
      }
      final int from = (rank - s + ranks) % ranks;
      if (ownFloats > 0) {
        ops[opCount++] =
            comm.postRecv(sequence(), 0, from, scratch, from * slotBytes, ownFloats * Float.BYTES);
      }
    }
  }

  /** Own chunk = x_0 + … + x_{P−1} in rank order (own data for x_r, scratch slots for the rest). */
  private void sumOwnChunk() {
    final long base = chunkFrom(rank);
    FloatSums.sumInRankOrder(
        data, base, data, base, rank, scratch, slotBytes / Float.BYTES, ranks, chunkFloats(rank));
  }

  /** Round 1 of the direct path: own reduced chunk to everyone, chunk q from q in place. */
  private void postDirectAllGather() {
    final int ownFloats = chunkFloats(rank);
    for (int s = 1; s < ranks; s++) {
      final int to = (rank + s) % ranks;
      if (ownFloats > 0) {
        ops[opCount++] =
            comm.postSend(
                sequence(), 1, to, data, chunkFrom(rank) * Float.BYTES, ownFloats * Float.BYTES);
      }
      final int from = (rank - s + ranks) % ranks;
      final int recvFloats = chunkFloats(from);
      if (recvFloats > 0) {
        ops[opCount++] =
            comm.postRecv(
                sequence(), 1, from, data, chunkFrom(from) * Float.BYTES, recvFloats * Float.BYTES);
      }
    }
  }

  private boolean allOpsComplete() {
    for (int i = 0; i < opCount; i++) {
      if (!comm.isComplete(ops[i])) {
        return false;
      }
    }
    return true;
  }

  private void releaseAllOps() {
    for (int i = 0; i < opCount; i++) {
      comm.release(ops[i]);
    }
    opCount = 0;
  }

  /** Advances the direct path by at most one round. */
  private int doDirectWork() {
    if (!allOpsComplete()) {
      return 0;
    }
    releaseAllOps();
    if (step == 0) {
      sumOwnChunk();
      step = 1;
      postDirectAllGather();
      if (opCount > 0) {
        return 1;
      }
    }
    finished = true;
    return 1;
  }

  /** The segments of the whole buffer this rank holds before each reduce-scatter step. */
  private void halveSegments() {
    segFrom[0] = 0;
    segTo[0] = count;
    for (int s = 0; s < levels; s++) {
      final int mid = segFrom[s] + (segTo[s] - segFrom[s]) / 2;
      final boolean lower = (rank & (ranks >> (s + 1))) == 0;
      segFrom[s + 1] = lower ? segFrom[s] : mid;
      segTo[s + 1] = lower ? mid : segTo[s];
    }
  }

  /**
   * Posts halving step {@code step}: reduce-scatter level s = step sends the half of segment s it
   * gives up and receives the partner's copy of the half it keeps; all-gather (level s = 2L−1−step)
   * sends the half it kept and receives the other in place. Parts outside the window are not sent
   * (the partner computes the same empty part and skips the receive).
   */
  private void postHalvingStep() {
    final boolean reduce = step < levels;
    final int s = reduce ? step : 2 * levels - 1 - step;
    final int partner = rank ^ (ranks >> (s + 1));
    final int keepFrom = segFrom[s + 1];
    final int keepTo = segTo[s + 1];
    final boolean keptLower = keepFrom == segFrom[s];
    final int otherFrom = keptLower ? keepTo : segFrom[s];
    final int otherTo = keptLower ? segTo[s] : keepFrom;
    final int sendFrom = Math.max(from, reduce ? otherFrom : keepFrom);
    final int sendTo = Math.min(to, reduce ? otherTo : keepTo);
    final int recvFrom = Math.max(from, reduce ? keepFrom : otherFrom);
    final int recvTo = Math.min(to, reduce ? keepTo : otherTo);
    sendOp =
        sendTo <= sendFrom
            ? NO_OP
            : comm.postSend(
                sequence(),
                step,
                partner,
                data,
                (long) sendFrom * Float.BYTES,
                (sendTo - sendFrom) * Float.BYTES);
    if (recvTo <= recvFrom) {
      recvOp = NO_OP;
    } else {
      recvOp =
          comm.postRecv(
              sequence(),
              step,
              partner,
              reduce ? scratch : data,
              reduce ? 0 : (long) recvFrom * Float.BYTES,
              (recvTo - recvFrom) * Float.BYTES);
    }
  }

  /** First float of chunk {@code c}'s part of the window. */
  private long chunkFrom(final int c) {
    final int m = Math.floorMod(c, ranks);
    return Math.max(from, (long) m * count / ranks);
  }

  /** Floats of chunk {@code c}'s part of the window (0 when they do not meet). */
  private int chunkFloats(final int c) {
    final int m = Math.floorMod(c, ranks);
    final long end = Math.min(to, (long) (m + 1) * count / ranks);
    return (int) Math.max(0, end - chunkFrom(c));
  }

  /** Posts one ring step; an empty part is not sent (the peer skips the matching receive). */
  private void postRingStep() {
    final int next = (rank + 1) % ranks;
    final int prev = (rank - 1 + ranks) % ranks;
    final boolean reduce = step < ranks - 1;
    final int s = reduce ? step : step - (ranks - 1);
    final int sendChunk = reduce ? rank - s : rank + 1 - s;
    final int recvChunk = reduce ? rank - s - 1 : rank - s;
    final int sendFloats = chunkFloats(sendChunk);
    final int recvFloats = chunkFloats(recvChunk);
    sendOp =
        sendFloats == 0
            ? NO_OP
            : comm.postSend(
                sequence(),
                step,
                next,
                data,
                chunkFrom(sendChunk) * Float.BYTES,
                sendFloats * Float.BYTES);
    if (recvFloats == 0) {
      recvOp = NO_OP;
    } else if (reduce) {
      recvOp = comm.postRecv(sequence(), step, prev, scratch, 0, recvFloats * Float.BYTES);
    } else {
      recvOp =
          comm.postRecv(
              sequence(),
              step,
              prev,
              data,
              chunkFrom(recvChunk) * Float.BYTES,
              recvFloats * Float.BYTES);
    }
  }

  private boolean done(final int op) {
    return op == NO_OP || comm.isComplete(op);
  }

  private void release(final int op) {
    if (op != NO_OP) {
      comm.release(op);
    }
  }

  /**
   * The shared path: once every rank arrived, sum unclaimed chunks; once all are summed, copy the
   * result out. Whoever sums the last chunk wakes the ranks asleep on their doorbells.
   */
  private int doSharedWork() {
    if (staging.firstMissing(sequence()) >= 0) {
      return 0;
    }
    final int work = staging.sumChunks();
    if (!staging.summed()) {
      return work;
    }
    if (work > 0) {
      comm.ringAll(); // this rank summed the last chunks (or some, beside the one that did)
    }
    staging.copyResult(data, from);
    finished = true;
    return work + 1;
  }

  @Override
  public boolean hasLocalWork() {
    return staging != null && isActive() && !finished && staging.ready(sequence());
  }

  @Override
  public int awaitedRank() {
    if (staging == null || finished) {
      return -1;
    }
    final int missing = staging.firstMissing(sequence());
    return missing >= 0 ? missing : ANY_RANK;
  }

  @Override
  public String awaited() {
    final int missing = awaitedRank();
    return missing >= 0
        ? "rank=" + missing + " to arrive in the shared staging area"
        : "the group to sum the shared staging area";
  }

  @Override
  protected int doWork() {
    if (finished) {
      return 0;
    }
    if (staging != null) {
      return doSharedWork();
    }
    if (small) {
      if (!allOpsComplete()) {
        return 0;
      }
      sumInRankOrder();
      finished = true;
      return 1;
    }
    if (pattern == ExchangePattern.DIRECT) {
      return doDirectWork();
    }
    int work = 0;
    final int reduceSteps = halving ? levels : ranks - 1;
    while (!finished && done(sendOp) && done(recvOp)) {
      if (step < reduceSteps) {
        addReceivedPart();
      }
      release(sendOp);
      release(recvOp);
      step++;
      work++;
      if (step == 2 * reduceSteps) {
        finished = true;
      } else if (halving) {
        postHalvingStep();
      } else {
        postRingStep();
      }
    }
    return work;
  }

  /**
   * Reduce-scatter step {@code step} received the peer's copy of the part this rank sums into
   * scratch: the ring's chunk r−step−1, or the half halving keeps at this step; add it in place.
   */
  private void addReceivedPart() {
    final long base;
    final int n;
    if (halving) {
      base = Math.max(from, segFrom[step + 1]);
      n = (int) Math.max(0, Math.min(to, segTo[step + 1]) - base);
    } else {
      final int c = rank - step - 1;
      base = chunkFrom(c);
      n = chunkFloats(c);
    }
    FloatSums.addInto(data, base, scratch, 0, n);
  }

  /** x_0 + x_1 + … in rank order on every rank: own window from data, the others' from scratch. */
  private void sumInRankOrder() {
    final int n = to - from;
    FloatSums.sumInRankOrder(data, from, data, from, rank, scratch, n, ranks, n);
  }

  @Override
  protected boolean isDone() {
    return finished;
  }

  @Override
  protected void releaseOps() {
    if (staging != null) {
      return;
    }
    if (small || pattern == ExchangePattern.DIRECT) {
      releaseAllOps();
    }
    opCount = 0;
  }
}
