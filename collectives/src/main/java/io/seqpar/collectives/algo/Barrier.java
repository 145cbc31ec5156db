package io.seqpar.collectives.algo;

import io.seqpar.collectives.AbstractCollective;
import io.seqpar.collectives.Communicator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Dissemination barrier: ⌈log2 P⌉ rounds of empty messages; no rank leaves before every rank
 * entered.
 *
 * <pre>
 *   round i, d = 2^i &lt; P:  send to (r + d) mod P;  recv from (r − d) mod P;  wait for the receive
 * </pre>
 */
public final class Barrier extends AbstractCollective {
  private final MemorySegment empty = Arena.ofAuto().allocate(8, 8);
  private int d;
  private int round;
  private int sendOp;
  private int recvOp;
  private boolean finished;
  private final int[] pendingSends = new int[32];
  private int pending;

  public Barrier(final Communicator comm) {
    super(comm);
  }

  public void start() {
    begin("barrier");
    d = 1;
    round = 0;
    pending = 0;
    finished = false;
    if (ranks == 1) {
      finished = true;
      completeLocally();
      return;
    }
    post();
  }

  /** {@link #start()} then {@link #await()}. */
  public void run() {
    start();
    await();
  }

  private void post() {
    sendOp = comm.postSend(sequence(), round, (rank + d) % ranks, empty, 0, 0);
    recvOp = comm.postRecv(sequence(), round, Math.floorMod(rank - d, ranks), empty, 0, 0);
    pendingSends[pending++] = sendOp;
  }

  @Override
  protected int doWork() {
    int work = 0;
    while (!finished && comm.isComplete(recvOp)) {
      comm.release(recvOp);
      d <<= 1;
      round++;
      work++;
      if (d >= ranks) {
        finished = true;
      } else {
        post();
      }
    }
    return work;
  }

  @Override
  protected boolean isDone() {
    if (!finished) {
      return false;
    }
    for (int i = 0; i < pending; i++) {
      if (!comm.isComplete(pendingSends[i])) {
        return false;
      }
    }
    return true;
  }

  @Override
  protected void releaseOps() {
    for (int i = 0; i < pending; i++) {
      comm.release(pendingSends[i]);
    }
    pending = 0;
  }
}
