package io.seqpar.collectives.algo;

import io.seqpar.collectives.AbstractCollective;
import io.seqpar.collectives.Communicator;
import java.lang.foreign.MemorySegment;

/**
 * One ring step, asynchronous: send {@code send} to rank + 1, receive the same number of bytes from
 * rank − 1 into {@code recv} (mod P). Ring attention calls {@link #start} with the current KV
 * block, computes on it, then {@link #await()}s the next one. P = 1 copies send to recv.
 *
 * <pre>
 *   send to (r + 1) mod P;  recv from (r − 1) mod P          1 message each way, n bytes
 * </pre>
 */
public final class RingExchange extends AbstractCollective {
  private int sendOp = -1;
  private int recvOp = -1;
  private boolean received;

  public RingExchange(final Communicator comm) {
    super(comm);
  }

  /** Posts the exchange of {@code bytes}; {@code send} and {@code recv} must not overlap. */
  public void start(final MemorySegment send, final MemorySegment recv, final int bytes) {
    start(send, bytes, recv, bytes);
  }

  /**
   * Posts sending {@code sendBytes} and receiving {@code recvBytes}: the sizes differ when ring
   * attention circulates the KV blocks of uneven shards (each rank knows every block's size).
   */
  public void start(
      final MemorySegment send,
      final int sendBytes,
      final MemorySegment recv,
      final int recvBytes) {
    final long seq = begin("ring-exchange");
    received = false;
    if (ranks == 1) {
      MemorySegment.copy(send, 0, recv, 0, sendBytes);
      sendOp = -1;
      recvOp = -1;
      completeLocally();
      return;
    }
    sendOp = comm.postSend(seq, 0, (rank + 1) % ranks, send, 0, sendBytes);
    recvOp = comm.postRecv(seq, 0, (rank - 1 + ranks) % ranks, recv, 0, recvBytes);
  }

  /** {@link #start} then {@link #await()}. */
  public void exchange(final MemorySegment send, final MemorySegment recv, final int bytes) {
    start(send, recv, bytes);
    await();
  }

  @Override
  protected int doWork() {
    if (!received && recvOp >= 0 && comm.isComplete(recvOp)) {
      received = true;
      addStatesReceived(1);
      return 1;
    }
    return 0;
  }

  @Override
  protected boolean isDone() {
    return comm.isComplete(sendOp) && comm.isComplete(recvOp);
  }

  @Override
  protected void releaseOps() {
    if (sendOp >= 0) {
      comm.release(sendOp);
      comm.release(recvOp);
    }
    sendOp = -1;
    recvOp = -1;
  }
}
