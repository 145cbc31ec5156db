package io.seqpar.collectives.transport;

import io.seqpar.collectives.exceptions.PeerLostException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * Ranks as threads of one JVM: one single-producer/single-consumer Agrona ring buffer per ordered
 * pair (src, dst), so frames between two ranks stay in order and {@code offer} is a claim plus two
 * copies with no allocation. Back-pressure is a full ring. Closing an endpoint marks it lost for
 * every peer.
 *
 * <p>Memory: {@code ranks² × ringBytes} off-heap (default ring 1 MiB: 49 MiB at P = 7).
 */
public final class InMemoryTransport implements Transport {
  /** Default bytes per (src, dst) ring. Frames are at most ringBytes / 8 (Agrona's limit). */
  public static final int DEFAULT_RING_BYTES = 1 << 20;

  private static final int MSG_TYPE = 1;

  private final int rank;
  private final int ranks;
  private final OneToOneRingBuffer[] outbound; // indexed by dst
  private final OneToOneRingBuffer[] inbound; // indexed by src
  private final AtomicIntegerArray closed;
  private final int maxFrameLength;
  private final RendezvousBoard board;
  private final SharedWindows windows;
  private final Adapter adapter = new Adapter();

  private InMemoryTransport(
      final int rank,
      final int ranks,
      final OneToOneRingBuffer[][] rings,
      final AtomicIntegerArray closed,
      final int maxFrameLength,
      final RendezvousBoard board,
      final AtomicReferenceArray<MemorySegment> windowTable) {
    this.rank = rank;
    this.board = board;
    this.windows = windowTable == null ? null : SharedWindows.inProcess(windowTable, rank, ranks);
    this.ranks = ranks;
    this.closed = closed;
    this.maxFrameLength = maxFrameLength;
    this.outbound = new OneToOneRingBuffer[ranks];
    this.inbound = new OneToOneRingBuffer[ranks];
    for (int p = 0; p < ranks; p++) {
      outbound[p] = rings[rank][p];
      inbound[p] = rings[p][rank];
    }
  }

  /** A connected group of {@code ranks} endpoints with the default ring size. */
  public static InMemoryTransport[] group(final int ranks) {
    return group(ranks, DEFAULT_RING_BYTES);
  }

  /**
   * A connected group of {@code ranks} endpoints; {@code ringBytes} (a power of two ≥ 64 KiB) per
   * ordered pair.
   */
  public static InMemoryTransport[] group(final int ranks, final int ringBytes) {
    if (ranks < 1) {
      throw new IllegalArgumentException("ranks must be >= 1, got " + ranks);
    }
    if (!BitUtil.isPowerOfTwo(ringBytes) || ringBytes < 64 * 1024) {
      throw new IllegalArgumentException(
          "ringBytes must be a power of two >= 65536, got " + ringBytes);
    }
    final OneToOneRingBuffer[][] rings = new OneToOneRingBuffer[ranks][ranks];
    for (int s = 0; s < ranks; s++) {
      for (int d = 0; d < ranks; d++) {
        final ByteBuffer bb =
            ByteBuffer.allocateDirect(ringBytes + RingBufferDescriptor.TRAILER_LENGTH);
        rings[s][d] = new OneToOneRingBuffer(new UnsafeBuffer(bb));
      }
    }
    final int maxFrame = Math.min(rings[0][0].maxMsgLength(), 64 * 1024);
    final AtomicIntegerArray closed = new AtomicIntegerArray(ranks);
    // Threads of one process read each other's buffers through the same single-copy path as
    // processes of one host do (process_vm_readv on their own pid), so it is tested here too.
    final RendezvousBoard board =
        CrossMemory.available() && ranks <= RendezvousBoard.MAX_RANKS
            ? RendezvousBoard.inProcess(ranks)
            : null;
    final AtomicReferenceArray<MemorySegment> windowTable =
        board == null ? null : SharedWindows.groupTable(ranks);
    final InMemoryTransport[] out = new InMemoryTransport[ranks];
    for (int r = 0; r < ranks; r++) {
      out[r] = new InMemoryTransport(r, ranks, rings, closed, maxFrame, board, windowTable);
    }
    return out;
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int ranks() {
    return ranks;
  }

  @Override
  public int maxFrameLength() {
    return maxFrameLength;
  }

  @Override
  public boolean offer(
      final int dstRank,
      final DirectBuffer header,
      final int headerLength,
      final DirectBuffer payload,
      final int payloadOffset,
      final int payloadLength) {
    if (isPeerLost(dstRank)) {
      throw new PeerLostException(
          "in-memory offer: rank=" + rank + " peer rank=" + dstRank + " closed");
    }
    final int length = headerLength + payloadLength;
    if (length > maxFrameLength) {
      throw new IllegalArgumentException(
          "frame of " + length + " bytes exceeds maxFrameLength=" + maxFrameLength);
    }
    final OneToOneRingBuffer ring = outbound[dstRank];
    final int index = ring.tryClaim(MSG_TYPE, length);
    if (index <= 0) {
      return false;
    }
    final MutableDirectBuffer b = ring.buffer();
    b.putBytes(index, header, 0, headerLength);
    if (payloadLength > 0) {
      b.putBytes(index + headerLength, payload, payloadOffset, payloadLength);
    }
    ring.commit(index);
    return true;
  }

  /** Writes raw bytes as one frame to {@code dstRank}, bypassing all checks (tests, fuzzing). */
  public boolean offerRaw(
      final int dstRank, final DirectBuffer frame, final int offset, final int length) {
    final OneToOneRingBuffer ring = outbound[dstRank];
    final int index = ring.tryClaim(MSG_TYPE, length);
    if (index <= 0) {
      return false;
    }
    ring.buffer().putBytes(index, frame, offset, length);
    ring.commit(index);
    return true;
  }

  @Override
  public int poll(final int srcRank, final FrameHandler handler, final int limit) {
    adapter.handler = handler;
    try {
      return inbound[srcRank].controlledRead(adapter, limit);
    } finally {
      adapter.handler = null;
    }
  }

  @Override
  public RendezvousBoard rendezvousBoard() {
    return board;
  }

  @Override
  public SharedWindows sharedWindows() {
    return windows;
  }

  @Override
  public boolean isPeerLost(final int peer) {
    return closed.get(peer) != 0;
  }

  @Override
  public void close() {
    closed.set(rank, 1);
    if (windows != null) {
      windows.close();
    }
  }

  /** Maps the ring buffer's callback onto a {@link FrameHandler}; one instance, no capture. */
  private static final class Adapter implements ControlledMessageHandler {
    FrameHandler handler;

    @Override
    public Action onMessage(
        final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length) {
      return handler.onFrame(buffer, index, length) == FrameHandler.ABORT
          ? Action.ABORT
          : Action.CONTINUE;
    }
  }
}
