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
 * LASP-2 (algorithms.md §2.5, decay extension): gather every rank's (log Γ, S) pair with a ring
 * {@link AllGather}, then fold the pairs before this rank locally.
 *
 * <pre>
 *   1. record_r = [log Γ_r | ΔS_r]            (G + M bytes)
 *   2. AllGather records (ring, P−1 steps)    receive (P−1)(G + M) bytes, P−1 states
 *   3. out = 0; for u = 0..v−1 (visiting order): out = Γ_u ⊙ out + ΔS_u
 * </pre>
 *
 * Ring latency {@code (P−1)(α + β(M+G))}. Direction only changes the fold order, so the forward and
 * reverse scans move the same bytes. Memory: P records, allocated once.
 */
public final class AllGatherScan extends AbstractCollective implements ScanCollective {
  private final ScanShape shape;
  private final AllGather gather;
  private final MemorySegment record;
  private final MemorySegment gathered;
  private final int recordBytes;
  private ScanDirection direction;
  private MemorySegment out;
  private boolean gatherDone;

  public AllGatherScan(final Communicator comm, final ScanShape shape) {
    super(comm);
    this.shape = shape;
    this.gather = new AllGather(comm);
    this.recordBytes = shape.logBytes() + shape.stateBytes();
    this.record = LargePages.allocate(Arena.ofAuto(), recordBytes, 64);
    this.gathered = LargePages.allocate(Arena.ofAuto(), (long) recordBytes * ranks, 64);
  }

  @Override
  public ScanAlgorithm algorithm() {
    return ScanAlgorithm.ALLGATHER;
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
    final String name =
        direction == ScanDirection.FORWARD ? "allgather-scan fwd" : "allgather-scan bwd";
    begin(name);
    this.direction = direction;
    this.out = out;
    MemorySegment.copy(logDecay, 0, record, 0, shape.logBytes());
    MemorySegment.copy(state, 0, record, shape.logBytes(), shape.stateBytes());
    gatherDone = false;
    gather.startInternal(name, record, gathered, recordBytes, false);
    if (ranks == 1) {
      fold();
      completeLocally();
    }
  }

  @Override
  protected int doWork() {
    if (gatherDone) {
      return 0;
    }
    final int work = gather.doWorkInternal();
    if (gather.poll()) {
      gatherDone = true;
      addStatesReceived(ranks - 1);
      fold();
      return work + 1;
    }
    return work;
  }

  private void fold() {
    Zero.fill(out, shape.stateBytes());
    final int v = direction.virtualRank(rank, ranks);
    for (int u = 0; u < v; u++) {
      final long base = (long) direction.realRank(u, ranks) * recordBytes;
      final MemorySegment log = gathered.asSlice(base, shape.logBytes());
      final MemorySegment st = gathered.asSlice(base + shape.logBytes(), shape.stateBytes());
      ScanOperator.combine(null, out, log, st, null, out, 1, shape.rows(), shape.dv());
    }
  }

  @Override
  protected boolean isDone() {
    return gatherDone;
  }

  @Override
  protected void releaseOps() {
    // the inner AllGather released its own operations when it completed
  }
}
