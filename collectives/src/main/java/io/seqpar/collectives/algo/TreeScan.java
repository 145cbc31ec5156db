package io.seqpar.collectives.algo;

import io.seqpar.collectives.AbstractCollective;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.ScanAlgorithm;
import io.seqpar.collectives.ScanCollective;
import io.seqpar.collectives.ScanDirection;
import io.seqpar.collectives.ScanOperator;
import io.seqpar.collectives.ScanShape;
import io.seqpar.tensor.LargePages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Log-depth exclusive scan (Hillis–Steele, algorithms.md §2.7). Each rank keeps an inclusive
 * aggregate A (its own pair, growing leftwards) and an exclusive aggregate E (identity at first).
 *
 * <p>Step table, rank at visiting position v, rounds d = 1, 2, 4, … < P:
 *
 * <pre>
 *   if v + d &lt; P : send A = [log | S] to v + d
 *   if v − d ≥ 0 : R = recv from v − d;  E = R ∘ E;  A = R ∘ A
 *   (wait for both before the next round: A must not change while it is being sent)
 * </pre>
 *
 * Invariant after round d: A covers ranks (v−2d, v], E covers (v−2d, v). Result: out = E.state.
 * ⌈log2 P⌉ rounds, latency {@code ⌈log2 P⌉(α + β(M+G))}; rank v receives one aggregate per round
 * with v ≥ d (⌈log2 P⌉ on the last rank, 0 on the first).
 */
public final class TreeScan extends AbstractCollective implements ScanCollective {
  private final ScanShape shape;
  private final int recordBytes;
  private final MemorySegment inclusive;
  private final MemorySegment exclusive;
  private final MemorySegment received;
  private final MemorySegment aLog;
  private final MemorySegment aState;
  private final MemorySegment eLog;
  private final MemorySegment eState;
  private final MemorySegment rLog;
  private final MemorySegment rState;
  private ScanDirection direction;
  private MemorySegment out;
  private int v;
  private int d;
  private int round;
  private int sendOp;
  private int recvOp;
  private boolean finished;

  public TreeScan(final Communicator comm, final ScanShape shape) {
    super(comm);
    this.shape = shape;
    this.recordBytes = shape.logBytes() + shape.stateBytes();
    final Arena arena = Arena.ofAuto();
    inclusive = LargePages.allocate(arena, recordBytes, 64);
    exclusive = LargePages.allocate(arena, recordBytes, 64);
    received = LargePages.allocate(arena, recordBytes, 64);
    aLog = inclusive.asSlice(0, shape.logBytes());
    aState = inclusive.asSlice(shape.logBytes(), shape.stateBytes());
    eLog = exclusive.asSlice(0, shape.logBytes());
    eState = exclusive.asSlice(shape.logBytes(), shape.stateBytes());
    rLog = received.asSlice(0, shape.logBytes());
    rState = received.asSlice(shape.logBytes(), shape.stateBytes());
  }

  @Override
  public ScanAlgorithm algorithm() {
    return ScanAlgorithm.TREE;
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
    begin(direction == ScanDirection.FORWARD ? "tree fwd" : "tree bwd");
    this.direction = direction;
    this.out = out;
    v = direction.virtualRank(rank, ranks);
    MemorySegment.copy(logDecay, 0, aLog, 0, shape.logBytes());
    MemorySegment.copy(state, 0, aState, 0, shape.stateBytes());
    exclusive.fill((byte) 0);
    d = 1;
    round = 0;
    finished = false;
    postRound();
  }

  private void postRound() {
    sendOp = -1;
    recvOp = -1;
    if (d >= ranks) {
      MemorySegment.copy(eState, 0, out, 0, shape.stateBytes());
      finished = true;
      if (ranks == 1) {
        completeLocally();
      }
      return;
    }
    if (v + d < ranks) {
      sendOp =
          comm.postSend(
              sequence(), round, direction.realRank(v + d, ranks), inclusive, 0, recordBytes);
    }
    if (v - d >= 0) {
      recvOp =
          comm.postRecv(
              sequence(), round, direction.realRank(v - d, ranks), received, 0, recordBytes);
    }
  }

  @Override
  protected int doWork() {
    int work = 0;
    while (!finished
        && (sendOp < 0 || comm.isComplete(sendOp))
        && (recvOp < 0 || comm.isComplete(recvOp))) {
      if (recvOp >= 0) {
        ScanOperator.combine(rLog, rState, eLog, eState, eLog, eState, 1, shape.rows(), shape.dv());
        ScanOperator.combine(rLog, rState, aLog, aState, aLog, aState, 1, shape.rows(), shape.dv());
        addStatesReceived(1);
        comm.release(recvOp);
      }
      if (sendOp >= 0) {
        comm.release(sendOp);
      }
      d <<= 1;
      round++;
      postRound();
      work++;
    }
    return work;
  }

  @Override
  protected boolean isDone() {
    return finished;
  }

  @Override
  protected void releaseOps() {
    // each round releases its operations as it completes
  }
}
