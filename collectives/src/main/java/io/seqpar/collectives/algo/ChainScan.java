package io.seqpar.collectives.algo;

import io.seqpar.collectives.AbstractCollective;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.ScanAlgorithm;
import io.seqpar.collectives.ScanCollective;
import io.seqpar.collectives.ScanDirection;
import io.seqpar.collectives.ScanOperator;
import io.seqpar.collectives.ScanShape;
import io.seqpar.collectives.Zero;
import io.seqpar.tensor.LargePages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * LASP-1 chain (algorithms.md §2.4): the whole state travels rank to rank as one message; each rank
 * waits for it, applies its own pair and forwards the result. No pipelining, so the last rank
 * finishes after P−1 full-state hops: {@code T ≈ (P−1)(α + βM)}.
 *
 * <pre>
 *   v = 0      : out = 0;                    send ΔS to v+1
 *   0 < v < P−1: X = recv(v−1) into out;     Y = Γ ⊙ X + ΔS;  send Y to v+1
 *   v = P−1    : X = recv(v−1) into out
 * </pre>
 *
 * Messages: 1 received (M bytes, 1 state) on v ≥ 1, 1 sent on v ≤ P−2.
 */
public final class ChainScan extends AbstractCollective implements ScanCollective {
  private final ScanShape shape;
  private final MemorySegment sendBuffer;
  private MemorySegment logDecay;
  private MemorySegment state;
  private MemorySegment out;
  private int next;
  private int recvOp = -1;
  private int sendOp = -1;

  public ChainScan(final Communicator comm, final ScanShape shape) {
    super(comm);
    this.shape = shape;
    this.sendBuffer = LargePages.allocate(Arena.ofAuto(), shape.stateBytes(), 64);
  }

  @Override
  public ScanAlgorithm algorithm() {
    return ScanAlgorithm.CHAIN;
  }

  @Override
  public ScanShape shape() {
    return shape;
  }

  @Override
  public void start(
      final ScanDirection direction,
      final MemorySegment logDecay,
      final MemorySegment state,
      final MemorySegment out) {
    final long seq = begin(direction == ScanDirection.FORWARD ? "chain fwd" : "chain bwd");
    this.logDecay = logDecay;
    this.state = state;
    this.out = out;
    final int v = direction.virtualRank(rank, ranks);
    final int prev = v > 0 ? direction.realRank(v - 1, ranks) : -1;
    next = v < ranks - 1 ? direction.realRank(v + 1, ranks) : -1;
    recvOp = -1;
    sendOp = -1;
    if (prev < 0) {
      Zero.fill(out, shape.stateBytes());
      if (next >= 0) {
        sendOp = comm.postSend(seq, 0, next, state, 0, shape.stateBytes());
      } else {
        completeLocally();
      }
    } else {
      recvOp = comm.postRecv(seq, 0, prev, out, 0, shape.stateBytes());
    }
  }

  @Override
  protected int doWork() {
    if (recvOp >= 0 && sendOp < 0 && comm.isComplete(recvOp)) {
      addStatesReceived(1);
      if (next >= 0) {
        ScanOperator.combine(
            null, out, logDecay, state, null, sendBuffer, 1, shape.rows(), shape.dv());
        sendOp = comm.postSend(sequence(), 0, next, sendBuffer, 0, shape.stateBytes());
      } else {
        sendOp = Integer.MAX_VALUE; // nothing to send: mark the receive handled
      }
      return 1;
    }
    return 0;
  }

  @Override
  protected boolean isDone() {
    if (recvOp >= 0 && (sendOp < 0 || !comm.isComplete(recvOp))) {
      return false;
    }
    return sendOp < 0 || sendOp == Integer.MAX_VALUE || comm.isComplete(sendOp);
  }

  @Override
  protected void releaseOps() {
    if (recvOp >= 0) {
      comm.release(recvOp);
    }
    if (sendOp >= 0 && sendOp != Integer.MAX_VALUE) {
      comm.release(sendOp);
    }
    recvOp = -1;
    sendOp = -1;
  }
}
