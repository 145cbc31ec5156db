package io.seqpar.collectives.algo;

import io.seqpar.collectives.AbstractCollective;
import io.seqpar.collectives.Communicator;
import io.seqpar.tensor.FloatSums;
import io.seqpar.tensor.LargePages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Ring float32 sum ReduceScatter, in place: every rank contributes P blocks of {@code blockFloats}
 * ({@code data[q·blockFloats, (q+1)·blockFloats)} is its contribution to rank q); on return rank
 * r's block r holds Σ over ranks of their block r. The other blocks are left as partial sums.
 * AllGather-KV (LASP-2H, algorithms.md §3.4) uses it to return dK, dV to their owners in backward.
 *
 * <p>Step table, rank r, steps s = 0..P−2 (mod P; one message each way per step, tag s):
 *
 * <pre>
 *   send block r−s−1 (own part, plus what arrived at s−1) to r+1
 *   recv block r−s−2 from r−1 into scratch;  block r−s−2 += scratch
 * </pre>
 *
 * After step P−2 block r−P = r has every rank's part. Latency {@code (P−1)(α + β·blockBytes)}; each
 * rank sends and receives (P−1) blocks, the same volume as {@link AllGather}. Summation order
 * differs per block (it follows the ring), so results are not bit-identical to a rank-order sum.
 */
public final class ReduceScatter extends AbstractCollective {

  private final int maxBlockFloats;
  private final MemorySegment scratch;
  private MemorySegment data;
  private int blockFloats;
  private int step;
  private int sendOp = -1;
  private int recvOp = -1;
  private boolean finished;

  /** For blocks of up to {@code maxBlockFloats}; the one-block scratch is allocated once here. */
  public ReduceScatter(final Communicator comm, final int maxBlockFloats) {
    super(comm);
    this.maxBlockFloats = maxBlockFloats;
    this.scratch =
        LargePages.allocate(Arena.ofAuto(), Math.max(1L, maxBlockFloats) * Float.BYTES, 64);
  }

  /** Starts reducing {@code data} ({@code P × blockFloats} floats) so block r is summed here. */
  public void start(final MemorySegment data, final int blockFloats) {
    final long need = (long) ranks * blockFloats * Float.BYTES;
    if (blockFloats < 0 || blockFloats > maxBlockFloats || data.byteSize() < need) {
      throw new IllegalArgumentException(
          "reduce-scatter: blockFloats must be in [0, "
              + maxBlockFloats
              + "] and data must hold P·blockFloats="
              + (long) ranks * blockFloats
              + " floats; got blockFloats="
              + blockFloats
              + ", data="
              + data.byteSize()
              + " bytes");
    }
    begin("reduce-scatter");
    this.data = data;
    this.blockFloats = blockFloats;
    step = 0;
    finished = false;
    if (ranks == 1) {
      finished = true;
      completeLocally();
      return;
    }
    postStep();
  }

  private long blockOffsetBytes(final int block) {
    return (long) Math.floorMod(block, ranks) * blockFloats * Float.BYTES;
  }

  private void postStep() {
    final int bytes = blockFloats * Float.BYTES;
    sendOp =
        comm.postSend(
            sequence(), step, (rank + 1) % ranks, data, blockOffsetBytes(rank - step - 1), bytes);
    recvOp = comm.postRecv(sequence(), step, (rank - 1 + ranks) % ranks, scratch, 0, bytes);
  }

  @Override
  protected int doWork() {
    int work = 0;
    while (!finished && comm.isComplete(sendOp) && comm.isComplete(recvOp)) {
      // block r−s−2 += what r−1 accumulated for it
      final long base = blockOffsetBytes(rank - step - 2) / Float.BYTES;
      FloatSums.addInto(data, base, scratch, 0, blockFloats);
      comm.release(sendOp);
      comm.release(recvOp);
      sendOp = -1;
      recvOp = -1;
      addStatesReceived(1);
      step++;
      work++;
      if (step == ranks - 1) {
        finished = true;
      } else {
        postStep();
      }
    }
    return work;
  }

  @Override
  protected boolean isDone() {
    return finished;
  }

  @Override
  protected void releaseOps() {
    // Every step releases its own pair as it completes.
  }
}
