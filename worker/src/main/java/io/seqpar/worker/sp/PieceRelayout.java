package io.seqpar.worker.sp;

import io.seqpar.collectives.AbstractCollective;
import io.seqpar.collectives.Communicator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Moves tensors between two {@link SequenceLayout}s of the same sequence (e.g. contiguous ↔
 * zigzag): a permutation of whole pieces, one message per piece that changes owner (tag = piece
 * id), local copies for pieces that stay. This is how a hybrid model runs zigzag ring attention
 * next to linear layers that need contiguous shards (algorithms.md §3.3, option b): the softmax
 * layer relayouts q|k|v in and o out (forward), dO in and dq|dk|dv out (backward).
 *
 * <p>Tensors are {@code [heads, L, w]} each; one call moves several of them (widths {@code w_t})
 * packed per piece as {@code t0 [heads, n, w0] | t1 [heads, n, w1] | …}. Every rank posts its sends
 * and receives in ascending piece order, which is the order each pair matches them in. Pack and
 * receive buffers are allocated once for {@code maxWidthSum}.
 */
public final class PieceRelayout extends AbstractCollective {
  private final SequenceLayout from;
  private final SequenceLayout to;
  private final int heads;
  private final String opName;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment sendBuf;
  private final MemorySegment recvBuf;
  private final int[] ops = new int[4];
  private int opCount;

  public PieceRelayout(
      final Communicator comm,
      final SequenceLayout from,
      final SequenceLayout to,
      final int heads,
      final int maxWidthSum) {
    super(comm);
    if (from.tokens() != to.tokens() || from.ranks() != to.ranks() || from.ranks() != ranks) {
      throw new IllegalArgumentException("layouts must cover the same tokens over the same ranks");
    }
    this.from = from;
    this.to = to;
    this.heads = heads;
    this.opName = "relayout " + from.kind() + "->" + to.kind();
    final long bytes =
        Math.max(1L, (long) heads * Math.max(from.maxLength(), to.maxLength()) * maxWidthSum) * 4;
    sendBuf = arena.allocate(bytes, 64);
    recvBuf = arena.allocate(bytes, 64);
  }

  /**
   * Copies {@code src[t]} ({@code [heads, L_from, widths[t]]}) into {@code dst[t]} ({@code [heads,
   * L_to, widths[t]]}) and waits (deadline: the communicator's timeout).
   */
  public void run(final MemorySegment[] src, final MemorySegment[] dst, final int[] widths) {
    final long seq = begin(opName);
    opCount = 0;
    final int srcLen = from.length(rank);
    final int dstLen = to.length(rank);
    long sendOff = 0;
    for (int slot = 0; slot < 2; slot++) {
      final int p = from.piece(rank, slot);
      final int n = from.pieceLength(p);
      final int dest = to.owner(p);
      if (dest == rank) {
        for (int t = 0; t < widths.length; t++) {
          copyRows(
              src[t], srcLen, from.localOffset(p), dst[t], dstLen, to.localOffset(p), n, widths[t]);
        }
        continue;
      }
      final long at = sendOff;
      for (int t = 0; t < widths.length; t++) {
        sendOff += pack(sendBuf, sendOff, src[t], srcLen, from.localOffset(p), n, widths[t]);
      }
      ops[opCount++] = comm.postSend(seq, p, dest, sendBuf, at, (int) (sendOff - at));
    }
    long recvOff = 0;
    for (int slot = 0; slot < 2; slot++) {
      final int p = to.piece(rank, slot);
      final int source = from.owner(p);
      if (source != rank) {
        final int bytes = pieceBytes(to.pieceLength(p), widths);
        ops[opCount++] = comm.postRecv(seq, p, source, recvBuf, recvOff, bytes);
        recvOff += bytes;
      }
    }
    if (opCount == 0) {
      completeLocally();
    } else {
      await();
    }
    recvOff = 0;
    for (int slot = 0; slot < 2; slot++) {
      final int p = to.piece(rank, slot);
      if (from.owner(p) == rank) {
        continue;
      }
      final int n = to.pieceLength(p);
      for (int t = 0; t < widths.length; t++) {
        recvOff += unpack(dst[t], dstLen, to.localOffset(p), n, widths[t], recvBuf, recvOff);
      }
    }
  }

  private int pieceBytes(final int n, final int[] widths) {
    int sum = 0;
    for (final int w : widths) {
      sum += w;
    }
    return heads * n * sum * Float.BYTES;
  }

  /** Rows [row0, row0+n) of every head of {@code t [heads, len, w]} → buf at off; bytes written. */
  private long pack(
      final MemorySegment buf,
      final long off,
      final MemorySegment t,
      final int len,
      final int row0,
      final int n,
      final int w) {
    final long bytes = (long) n * w * Float.BYTES;
    for (int h = 0; h < heads; h++) {
      MemorySegment.copy(t, ((long) h * len + row0) * w * Float.BYTES, buf, off + h * bytes, bytes);
    }
    return heads * bytes;
  }

  private long unpack(
      final MemorySegment t,
      final int len,
      final int row0,
      final int n,
      final int w,
      final MemorySegment buf,
      final long off) {
    final long bytes = (long) n * w * Float.BYTES;
    for (int h = 0; h < heads; h++) {
      MemorySegment.copy(buf, off + h * bytes, t, ((long) h * len + row0) * w * Float.BYTES, bytes);
    }
    return heads * bytes;
  }

  private void copyRows(
      final MemorySegment src,
      final int srcLen,
      final int srcRow,
      final MemorySegment dst,
      final int dstLen,
      final int dstRow,
      final int n,
      final int w) {
    final long bytes = (long) n * w * Float.BYTES;
    for (int h = 0; h < heads; h++) {
      MemorySegment.copy(
          src,
          ((long) h * srcLen + srcRow) * w * Float.BYTES,
          dst,
          ((long) h * dstLen + dstRow) * w * Float.BYTES,
          bytes);
    }
  }

  @Override
  protected int doWork() {
    return 0;
  }

  @Override
  protected boolean isDone() {
    for (int i = 0; i < opCount; i++) {
      if (!comm.isComplete(ops[i])) {
        return false;
      }
    }
    return true;
  }

  @Override
  protected void releaseOps() {
    for (int i = 0; i < opCount; i++) {
      comm.release(ops[i]);
    }
    opCount = 0;
  }

  /** Frees the pack buffers. */
  public void close() {
    arena.close();
  }
}
