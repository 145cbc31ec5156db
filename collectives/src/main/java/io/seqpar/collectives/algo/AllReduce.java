package io.seqpar.collectives.algo;

import io.seqpar.collectives.AbstractCollective;
import io.seqpar.collectives.Communicator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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
 */
public final class AllReduce extends AbstractCollective {
  /** Default threshold between the one-round and the ring algorithm. */
  public static final int DEFAULT_SMALL_BYTES = 64 * 1024;

  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

  private final int smallBytes;
  private final int maxBytes;
  private final MemorySegment scratch;
  private final int[] ops;
  private int opCount;
  private MemorySegment data;
  private int count;
  private boolean small;
  private int step;
  private int sendOp;
  private int recvOp;
  private boolean finished;

  /** For buffers up to {@code maxBytes}; scratch is sized for that once. */
  public AllReduce(final Communicator comm, final int maxBytes) {
    this(comm, maxBytes, DEFAULT_SMALL_BYTES);
  }

  public AllReduce(final Communicator comm, final int maxBytes, final int smallBytes) {
    super(comm);
    this.maxBytes = maxBytes;
    this.smallBytes = smallBytes;
    final long smallScratch = (long) Math.min(smallBytes, maxBytes) * ranks;
    final long ringScratch = ((long) maxBytes / Float.BYTES / Math.max(1, ranks) + 1) * Float.BYTES;
    this.scratch =
        Arena.ofAuto().allocate(Math.max(Float.BYTES, Math.max(smallScratch, ringScratch)), 64);
    this.ops = new int[2 * Math.max(1, ranks)];
  }

  public int smallBytes() {
    return smallBytes;
  }

  /** Starts summing {@code count} floats of {@code data} across ranks, in place. */
  public void start(final MemorySegment data, final int count) {
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
    small = bytes <= smallBytes || count < ranks;
    final long seq = begin(small ? "allreduce(one-round)" : "allreduce(ring)");
    this.data = data;
    this.count = count;
    opCount = 0;
    finished = false;
    if (ranks == 1) {
      finished = true;
      completeLocally();
      return;
    }
    if (small) {
      for (int q = 0; q < ranks; q++) {
        if (q != rank) {
          ops[opCount++] = comm.postSend(seq, 0, q, data, 0, (int) bytes);
          ops[opCount++] = comm.postRecv(seq, 0, q, scratch, q * bytes, (int) bytes);
        }
      }
    } else {
      step = 0;
      postRingStep();
    }
  }

  private long chunkFrom(final int c) {
    return (long) Math.floorMod(c, ranks) * count / ranks;
  }

  private int chunkFloats(final int c) {
    final int m = Math.floorMod(c, ranks);
    return (int) ((long) (m + 1) * count / ranks - (long) m * count / ranks);
  }

  private void postRingStep() {
    final int next = (rank + 1) % ranks;
    final int prev = (rank - 1 + ranks) % ranks;
    if (step < ranks - 1) {
      final int s = step;
      sendOp =
          comm.postSend(
              sequence(),
              s,
              next,
              data,
              chunkFrom(rank - s) * Float.BYTES,
              chunkFloats(rank - s) * Float.BYTES);
      recvOp =
          comm.postRecv(sequence(), s, prev, scratch, 0, chunkFloats(rank - s - 1) * Float.BYTES);
    } else {
      final int s = step - (ranks - 1);
      sendOp =
          comm.postSend(
              sequence(),
              step,
              next,
              data,
              chunkFrom(rank + 1 - s) * Float.BYTES,
              chunkFloats(rank + 1 - s) * Float.BYTES);
      recvOp =
          comm.postRecv(
              sequence(),
              step,
              prev,
              data,
              chunkFrom(rank - s) * Float.BYTES,
              chunkFloats(rank - s) * Float.BYTES);
    }
  }

  @Override
  protected int doWork() {
    if (finished) {
      return 0;
    }
    if (small) {
      for (int i = 0; i < opCount; i++) {
        if (!comm.isComplete(ops[i])) {
          return 0;
        }
      }
      sumInRankOrder();
      finished = true;
      return 1;
    }
    int work = 0;
    while (!finished && comm.isComplete(sendOp) && comm.isComplete(recvOp)) {
      if (step < ranks - 1) {
        final int c = rank - step - 1;
        final long base = chunkFrom(c);
        final int n = chunkFloats(c);
        for (int i = 0; i < n; i++) {
          final long idx = base + i;
          data.setAtIndex(F, idx, data.getAtIndex(F, idx) + scratch.getAtIndex(F, i));
        }
      }
      comm.release(sendOp);
      comm.release(recvOp);
      step++;
      work++;
      if (step == 2 * (ranks - 1)) {
        finished = true;
      } else {
        postRingStep();
      }
    }
    return work;
  }

  private void sumInRankOrder() {
    // Own buffer into its slot, then acc = x_0 + x_1 + ... in rank order on every rank.
    final long bytes = (long) count * Float.BYTES;
    MemorySegment.copy(data, 0, scratch, rank * bytes, bytes);
    for (int i = 0; i < count; i++) {
      float acc = scratch.getAtIndex(F, i);
      for (int q = 1; q < ranks; q++) {
        acc += scratch.getAtIndex(F, (long) q * count + i);
      }
      data.setAtIndex(F, i, acc);
    }
  }

  @Override
  protected boolean isDone() {
    return finished;
  }

  @Override
  protected void releaseOps() {
    if (small) {
      for (int i = 0; i < opCount; i++) {
        comm.release(ops[i]);
      }
    }
    opCount = 0;
  }
}
