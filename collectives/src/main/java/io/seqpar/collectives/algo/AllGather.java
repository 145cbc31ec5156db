package io.seqpar.collectives.algo;

import io.seqpar.collectives.AbstractCollective;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.ExchangePattern;
import java.lang.foreign.MemorySegment;

/**
 * AllGather: every rank contributes {@code blockBytes}; on return {@code recv[q·blockBytes,
 * (q+1)·blockBytes)} holds rank q's block on every rank. Two patterns ({@link ExchangePattern}).
 *
 * <p><b>Ring</b> step table, rank r, steps s = 0..P−2 (receives of all steps are posted at start,
 * in order):
 *
 * <pre>
 *   s = 0 : send block r            to r+1;   recv block r−1   from r−1
 *   s ≥ 1 : send block r−s (got at s−1) to r+1;  recv block r−s−1 from r−1
 * </pre>
 *
 * (indices mod P). Latency {@code (P−1)(α + β·blockBytes)}; each rank sends and receives (P−1)
 * blocks. Received blocks land in place; the forwarded block is sent from {@code recv} itself.
 *
 * <p><b>Direct</b>, one round: rank r posts a receive of block q from every q ≠ r and sends its own
 * block to r+1, r+2, …, r+P−1 (staggered so not every rank feeds rank 0 first). Same bytes as the
 * ring, {@code α + (P−1)β·blockBytes} when links run in parallel, and no rank waits on a chain.
 *
 * <p>{@link ExchangePattern#HALVING} and {@link ExchangePattern#SHARED} are AllReduce's; asked of
 * AllGather, halving runs the ring and shared runs {@link ExchangePattern#gatherDefault}.
 */
public final class AllGather extends AbstractCollective {
  private final ExchangePattern pattern;
  private final int[] recvOps;
  private final int[] sendOps;
  private MemorySegment recv;
  private int blockBytes;
  private int next;
  private int sendsPosted;
  private int received;
  private boolean countStates;

  /** With {@link ExchangePattern#gatherDefault} for the communicator's host. */
  public AllGather(final Communicator comm) {
    this(comm, ExchangePattern.gatherDefault(comm.oversubscribed()));
  }

  public AllGather(final Communicator comm, final ExchangePattern pattern) {
    super(comm);
    this.pattern =
        pattern == ExchangePattern.HALVING
            ? ExchangePattern.RING
            : pattern == ExchangePattern.SHARED
                ? ExchangePattern.gatherDefault(comm.oversubscribed())
                : pattern;
    recvOps = new int[Math.max(1, ranks - 1)];
    sendOps = new int[Math.max(1, ranks - 1)];
  }

  /**
   * Starts gathering {@code send[0, blockBytes)} of every rank into {@code recv} ({@code P ×
   * blockBytes}).
   */
  public void start(final MemorySegment send, final MemorySegment recv, final int blockBytes) {
    startInternal("allgather", send, recv, blockBytes, false);
  }

  void startInternal(
      final String name,
      final MemorySegment send,
      final MemorySegment recv,
      final int blockBytes,
      final boolean countStates) {
    if (recv.byteSize() < (long) ranks * blockBytes || send.byteSize() < blockBytes) {
      throw new IllegalArgumentException(
          name
              + ": recv must hold P·blockBytes="
              + (long) ranks * blockBytes
              + " bytes, send "
              + blockBytes
              + "; got recv="
              + recv.byteSize()
              + " send="
              + send.byteSize());
    }
    final long seq = begin(name);
    this.recv = recv;
    this.blockBytes = blockBytes;
    this.countStates = countStates;
    sendsPosted = 0;
    received = 0;
    if (ranks == 1) {
      MemorySegment.copy(send, 0, recv, (long) rank * blockBytes, blockBytes);
      completeLocally();
      return;
    }
    if (pattern == ExchangePattern.DIRECT) {
      for (int s = 0; s < ranks - 1; s++) {
        final int from = (rank - s - 1 + ranks) % ranks;
        recvOps[s] = comm.postRecv(seq, 0, from, recv, (long) from * blockBytes, blockBytes);
      }
      for (int s = 0; s < ranks - 1; s++) {
        final int to = (rank + s + 1) % ranks;
        sendOps[s] = comm.postSend(seq, 0, to, send, 0, blockBytes);
      }
      sendsPosted = ranks - 1;
      copyOwnBlock(send);
      return;
    }
    next = (rank + 1) % ranks;
    final int prev = (rank - 1 + ranks) % ranks;
    for (int s = 0; s < ranks - 1; s++) {
      final int block = Math.floorMod(rank - s - 1, ranks);
      recvOps[s] = comm.postRecv(seq, s, prev, recv, (long) block * blockBytes, blockBytes);
    }
    sendOps[0] = comm.postSend(seq, 0, next, send, 0, blockBytes);
    sendsPosted = 1;
    copyOwnBlock(send);
  }

  /**
   * Own block into place, after its sends went out from {@code send}: a large block is copied by
   * its receivers meanwhile (single copy) instead of after this copy.
   */
  private void copyOwnBlock(final MemorySegment send) {
    comm.progress();
    MemorySegment.copy(send, 0, recv, (long) rank * blockBytes, blockBytes);
  }

  public ExchangePattern pattern() {
    return pattern;
  }

  /**
   * Counts completed receives in posting order (direct receives may complete in any order); the
   * ring forwards each block it got to the next rank.
   */
  @Override
  protected int doWork() {
    int work = 0;
    while (received < ranks - 1 && comm.isComplete(recvOps[received])) {
      final int s = ++received;
      if (countStates) {
        addStatesReceived(1);
      }
      if (pattern == ExchangePattern.RING && s < ranks - 1) {
        final int block = Math.floorMod(rank - s, ranks);
        sendOps[s] =
            comm.postSend(sequence(), s, next, recv, (long) block * blockBytes, blockBytes);
        sendsPosted++;
      }
      work++;
    }
    return work;
  }

  @Override
  protected boolean isDone() {
    if (received < ranks - 1) {
      return false;
    }
    for (int s = 0; s < sendsPosted; s++) {
      if (!comm.isComplete(sendOps[s])) {
        return false;
      }
    }
    return true;
  }

  @Override
  protected void releaseOps() {
    if (ranks > 1) {
      for (int s = 0; s < ranks - 1; s++) {
        comm.release(recvOps[s]);
      }
    }
    for (int s = 0; s < sendsPosted; s++) {
      comm.release(sendOps[s]);
    }
    sendsPosted = 0;
  }

  int doWorkInternal() {
    return doWork();
  }
}
