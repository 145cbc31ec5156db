package io.seqpar.collectives.algo;

import io.seqpar.collectives.AbstractCollective;
import io.seqpar.collectives.Communicator;
import java.lang.foreign.MemorySegment;

/**
 * Binomial-tree broadcast from {@code root}. With v = (r − root) mod P, a rank receives once, from
 * v − h where h is the highest power of two ≤ v, then sends to v + d for d = 2h, 4h, … &lt; P − v
 * (root: d = 1, 2, 4, …). ⌈log2 P⌉ rounds: {@code ⌈log2 P⌉(α + βn)}.
 *
 * <pre>
 *   round d = 1, 2, 4, …:  v &lt; d and v + d &lt; P : send to v + d
 *                          d ≤ v &lt; 2d          : recv from v − d
 * </pre>
 */
public final class Broadcast extends AbstractCollective {
  private final int[] sendOps;
  private int sends;
  private int recvOp;
  private boolean forwarded;
  private MemorySegment data;
  private int bytes;
  private int root;
  private int v;

  public Broadcast(final Communicator comm) {
    super(comm);
    sendOps = new int[32];
  }

  /** Starts broadcasting {@code data[0, bytes)} of {@code root} into {@code data} of every rank. */
  public void start(final MemorySegment data, final int bytes, final int root) {
    if (root < 0 || root >= ranks) {
      throw new IllegalArgumentException(
          "broadcast: root must be in [0, " + ranks + "), got " + root);
    }
    final long seq = begin("broadcast");
    this.data = data;
    this.bytes = bytes;
    this.root = root;
    v = Math.floorMod(rank - root, ranks);
    sends = 0;
    recvOp = -1;
    forwarded = false;
    if (ranks == 1) {
      completeLocally();
      return;
    }
    if (v == 0) {
      forward();
    } else {
      final int h = Integer.highestOneBit(v);
      recvOp = comm.postRecv(seq, 0, (v - h + root) % ranks, data, 0, bytes);
    }
  }

  private void forward() {
    for (int d = v == 0 ? 1 : Integer.highestOneBit(v) << 1; v + d < ranks; d <<= 1) {
      sendOps[sends++] = comm.postSend(sequence(), 0, (v + d + root) % ranks, data, 0, bytes);
    }
    forwarded = true;
  }

  @Override
  protected int doWork() {
    if (!forwarded && comm.isComplete(recvOp)) {
      forward();
      return 1;
    }
    return 0;
  }

  @Override
  protected boolean isDone() {
    if (!forwarded) {
      return false;
    }
    for (int i = 0; i < sends; i++) {
      if (!comm.isComplete(sendOps[i])) {
        return false;
      }
    }
    return true;
  }

  @Override
  protected void releaseOps() {
    if (recvOp >= 0) {
      comm.release(recvOp);
    }
    for (int i = 0; i < sends; i++) {
      comm.release(sendOps[i]);
    }
    sends = 0;
    recvOp = -1;
  }
}
