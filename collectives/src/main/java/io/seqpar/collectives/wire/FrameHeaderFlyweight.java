package io.seqpar.collectives.wire;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The header in front of every collective frame. All fields little-endian; 56 bytes, 8-aligned so
 * the payload that follows stays aligned for float copies.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+  0
 *  |                          Job Id (64)                          |
 *  |                                                               |
 *  +---------------------------------------------------------------+  8
 *  |                           Epoch (64)                          |
 *  |                                                               |
 *  +---------------------------------------------------------------+ 16
 *  |               Collective Sequence (64, per group)             |
 *  |                                                               |
 *  +---------------------------------------------------------------+ 24
 *  |                 Tag (32, step/block of the collective)        |
 *  +---------------------------------------------------------------+ 28
 *  |                        Source Rank (32)                       |
 *  +---------------------------------------------------------------+ 32
 *  |              Block Index (32, fragment within message)        |
 *  +---------------------------------------------------------------+ 36
 *  |                 Payload Length (32, this frame)               |
 *  +---------------------------------------------------------------+ 40
 *  |            Message Offset (64, byte offset of payload)        |
 *  |                                                               |
 *  +---------------------------------------------------------------+ 48
 *  |            Message Length (64, whole message in bytes)        |
 *  |                                                               |
 *  +---------------------------------------------------------------+ 56
 *  |                      Payload ...                             ...
 * </pre>
 *
 * <p>A message larger than one frame is cut into frames of at most the transport's frame payload;
 * each carries its byte offset, so the receiver copies it straight into the destination with no
 * reassembly buffer. A frame with block index {@link #DESCRIPTOR_BLOCK_INDEX} carries no data but a
 * descriptor of the whole message for the receiver to copy from the sender's memory (ranks of one
 * host, see {@code SingleCopy}); one with {@link #COMBINE_DESCRIPTOR_BLOCK_INDEX} describes where
 * the receiver finds the operands of a message it computes itself. A frame with block index {@link
 * #FAULT_BLOCK_INDEX} is a fault notice: its sender's collective failed and its 8-byte payload
 * names the rank to blame (see {@code Communicator}). Accessors never allocate: {@link #wrap}
 * re-points the flyweight.
 */
public final class FrameHeaderFlyweight extends UnsafeBuffer {
  public static final int JOB_ID_OFFSET = 0;
  public static final int EPOCH_OFFSET = 8;
  public static final int SEQUENCE_OFFSET = 16;
  public static final int TAG_OFFSET = 24;
  public static final int SRC_RANK_OFFSET = 28;
  public static final int BLOCK_INDEX_OFFSET = 32;
  public static final int PAYLOAD_LENGTH_OFFSET = 36;
  public static final int MESSAGE_OFFSET_OFFSET = 40;
  public static final int MESSAGE_LENGTH_OFFSET = 48;

  /** Block index of a descriptor frame (single-copy message) instead of a data fragment. */
  public static final int DESCRIPTOR_BLOCK_INDEX = -1;

  /** Block index of a fault notice: the sender's collective failed; the group is broken. */
  public static final int FAULT_BLOCK_INDEX = -2;

  /**
   * Block index of a combine descriptor: the receiver computes the message, {@code Γ ⊙ X + S} on
   * rows, straight out of the sender's shared windows (All-Scan hops between ranks of one host).
   */
  public static final int COMBINE_DESCRIPTOR_BLOCK_INDEX = -3;

  /** Bytes in the header; the payload starts here. */
  public static final int HEADER_LENGTH = 56;

  /** An unwrapped flyweight; call {@link #wrap} before use. */
  public FrameHeaderFlyweight() {
    super(0, 0);
  }

  /** A flyweight over its own {@link #HEADER_LENGTH}-byte buffer, for building headers. */
  public static FrameHeaderFlyweight allocate() {
    final FrameHeaderFlyweight f = new FrameHeaderFlyweight();
    f.wrap(new byte[HEADER_LENGTH]);
    return f;
  }

  /** Re-points this flyweight at a header inside {@code buffer}. */
  public FrameHeaderFlyweight wrapHeader(final DirectBuffer buffer, final int offset) {
    wrap(buffer, offset, HEADER_LENGTH);
    return this;
  }

  public long jobId() {
    return getLong(JOB_ID_OFFSET, LITTLE_ENDIAN);
  }

  public FrameHeaderFlyweight jobId(final long v) {
    putLong(JOB_ID_OFFSET, v, LITTLE_ENDIAN);
    return this;
  }

  public long epoch() {
    return getLong(EPOCH_OFFSET, LITTLE_ENDIAN);
  }

  public FrameHeaderFlyweight epoch(final long v) {
    putLong(EPOCH_OFFSET, v, LITTLE_ENDIAN);
    return this;
  }

  public long sequence() {
    return getLong(SEQUENCE_OFFSET, LITTLE_ENDIAN);
  }

  public FrameHeaderFlyweight sequence(final long v) {
    putLong(SEQUENCE_OFFSET, v, LITTLE_ENDIAN);
    return this;
  }

  public int tag() {
    return getInt(TAG_OFFSET, LITTLE_ENDIAN);
  }

  public FrameHeaderFlyweight tag(final int v) {
    putInt(TAG_OFFSET, v, LITTLE_ENDIAN);
    return this;
  }

  public int srcRank() {
    return getInt(SRC_RANK_OFFSET, LITTLE_ENDIAN);
  }

  public FrameHeaderFlyweight srcRank(final int v) {
    putInt(SRC_RANK_OFFSET, v, LITTLE_ENDIAN);
    return this;
  }

  public int blockIndex() {
    return getInt(BLOCK_INDEX_OFFSET, LITTLE_ENDIAN);
  }

  public FrameHeaderFlyweight blockIndex(final int v) {
    putInt(BLOCK_INDEX_OFFSET, v, LITTLE_ENDIAN);
    return this;
  }

  public int payloadLength() {
    return getInt(PAYLOAD_LENGTH_OFFSET, LITTLE_ENDIAN);
  }

  public FrameHeaderFlyweight payloadLength(final int v) {
    putInt(PAYLOAD_LENGTH_OFFSET, v, LITTLE_ENDIAN);
    return this;
  }

  public long messageOffset() {
    return getLong(MESSAGE_OFFSET_OFFSET, LITTLE_ENDIAN);
  }

  public FrameHeaderFlyweight messageOffset(final long v) {
    putLong(MESSAGE_OFFSET_OFFSET, v, LITTLE_ENDIAN);
    return this;
  }

  public long messageLength() {
    return getLong(MESSAGE_LENGTH_OFFSET, LITTLE_ENDIAN);
  }

  public FrameHeaderFlyweight messageLength(final long v) {
    putLong(MESSAGE_LENGTH_OFFSET, v, LITTLE_ENDIAN);
    return this;
  }
}
