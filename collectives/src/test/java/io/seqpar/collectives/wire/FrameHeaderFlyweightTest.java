package io.seqpar.collectives.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FrameHeaderFlyweightTest {
  @Test
  void shouldWriteEveryFieldAtItsDocumentedOffsetLittleEndian() {
    final FrameHeaderFlyweight f = FrameHeaderFlyweight.allocate();
    f.jobId(0x0102030405060708L)
        .epoch(0x1112131415161718L)
        .sequence(0x2122232425262728L)
        .tag(0x31323334)
        .srcRank(0x41424344)
        .blockIndex(0x51525354)
        .payloadLength(0x61626364)
        .messageOffset(0x7172737475767778L)
        .messageLength(0x0A0B0C0D0E0F1011L);
    final byte[] expected = {
      0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12,
      0x11, 0x28, 0x27, 0x26, 0x25, 0x24, 0x23, 0x22, 0x21, 0x34, 0x33, 0x32, 0x31, 0x44, 0x43,
      0x42, 0x41, 0x54, 0x53, 0x52, 0x51, 0x64, 0x63, 0x62, 0x61, 0x78, 0x77, 0x76, 0x75, 0x74,
      0x73, 0x72, 0x71, 0x11, 0x10, 0x0F, 0x0E, 0x0D, 0x0C, 0x0B, 0x0A,
    };
    assertEquals(FrameHeaderFlyweight.HEADER_LENGTH, expected.length);
    final byte[] actual = new byte[FrameHeaderFlyweight.HEADER_LENGTH];
    f.getBytes(0, actual);
    assertArrayEquals(expected, actual);
  }

  @Test
  void shouldReadFieldsFromAWrappedBufferAtAnOffset() {
    final ByteBuffer bb =
        ByteBuffer.allocate(8 + FrameHeaderFlyweight.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    bb.putLong(8, 42L).putLong(16, 3L).putLong(24, 9L).putInt(32, 7).putInt(36, 2).putInt(40, 5);
    bb.putInt(44, 1000).putLong(48, 4096L).putLong(56, 1 << 20);
    final FrameHeaderFlyweight f = new FrameHeaderFlyweight();
    f.wrapHeader(new UnsafeBuffer(bb), 8);
    assertEquals(42L, f.jobId());
    assertEquals(3L, f.epoch());
    assertEquals(9L, f.sequence());
    assertEquals(7, f.tag());
    assertEquals(2, f.srcRank());
    assertEquals(5, f.blockIndex());
    assertEquals(1000, f.payloadLength());
    assertEquals(4096L, f.messageOffset());
    assertEquals(1 << 20, f.messageLength());
  }
}
