package io.seqpar.collectives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.collectives.algo.RingExchange;
import io.seqpar.collectives.transport.FrameHandler;
import io.seqpar.collectives.transport.Transport;
import io.seqpar.collectives.wire.FrameHeaderFlyweight;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Frames that are not ours or break the protocol are dropped/rejected and counted, never used. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FrameValidationTest {
  private static final int BYTES = 256;

  private static UnsafeBuffer frame(
      final long jobId,
      final long epoch,
      final long seq,
      final int src,
      final int payload,
      final long msgOffset,
      final long msgLength,
      final int actualPayload) {
    final UnsafeBuffer b =
        new UnsafeBuffer(new byte[FrameHeaderFlyweight.HEADER_LENGTH + actualPayload]);
    new FrameHeaderFlyweight()
        .wrapHeader(b, 0)
        .jobId(jobId)
        .epoch(epoch)
        .sequence(seq)
        .tag(0)
        .srcRank(src)
        .blockIndex(0)
        .payloadLength(payload)
        .messageOffset(msgOffset)
        .messageLength(msgLength);
    for (int i = 0; i < actualPayload; i++) {
      b.putByte(FrameHeaderFlyweight.HEADER_LENGTH + i, (byte) 0x7F); // poison: must never land
    }
    return b;
  }

  /** A fault notice from rank 1 blaming {@code blamed}, with {@code payload} bytes of payload. */
  private static UnsafeBuffer faultNotice(
      final long jobId, final long epoch, final int blamed, final int kind, final int payload) {
    final UnsafeBuffer b = new UnsafeBuffer(new byte[FrameHeaderFlyweight.HEADER_LENGTH + 8]);
    new FrameHeaderFlyweight()
        .wrapHeader(b, 0)
        .jobId(jobId)
        .epoch(epoch)
        .srcRank(1)
        .blockIndex(FrameHeaderFlyweight.FAULT_BLOCK_INDEX)
        .payloadLength(payload);
    b.putInt(FrameHeaderFlyweight.HEADER_LENGTH, blamed, ByteOrder.LITTLE_ENDIAN);
    b.putInt(FrameHeaderFlyweight.HEADER_LENGTH + 4, kind, ByteOrder.LITTLE_ENDIAN);
    return new UnsafeBuffer(b, 0, FrameHeaderFlyweight.HEADER_LENGTH + payload);
  }

  /** Sends raw bytes as one frame through a real transport endpoint, retrying back-pressure. */
  private static void sendRaw(final Transport t, final UnsafeBuffer frame, final int length) {
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!t.offer(0, frame, length, EMPTY, 0, 0)) {
      assertTrue(System.nanoTime() - deadline < 0, "could not send a raw frame in 30 s");
      Thread.onSpinWait();
    }
  }

  private static final UnsafeBuffer EMPTY = new UnsafeBuffer(new byte[0]);

  @ParameterizedTest
  @EnumSource(RankGroup.Kind.class)
  void badFramesAreDroppedOrRejectedAndCountedWhileTheCollectiveSucceeds(final RankGroup.Kind kind)
      throws Exception {
    final long job = RankGroup.TEST_JOB_ID;
    final long epoch = RankGroup.TEST_EPOCH;
    try (RankGroup g = RankGroup.create(kind, 2, TimeUnit.SECONDS.toNanos(30))) {
      // Rank 1's real endpoint sends the bad frames ahead of its valid ones, over the real link.
      final Transport rogue = g.transport(1);
      final UnsafeBuffer[] bad = {
        frame(job + 1, epoch, 0, 1, BYTES, 0, BYTES, BYTES), // another job
        frame(job, epoch - 1, 0, 1, BYTES, 0, BYTES, BYTES), // stale epoch
        frame(job, epoch + 1, 0, 1, BYTES, 0, BYTES, BYTES), // future epoch
        frame(job, epoch, 0, 5, BYTES, 0, BYTES, BYTES), // rank >= P
        frame(job, epoch, 0, -1, BYTES, 0, BYTES, BYTES), // negative rank
        frame(job, epoch, 0, 1, BYTES, 0, 1L << 40, BYTES), // message beyond the posted buffer
        frame(job, epoch, 0, 1, 1 << 30, 0, BYTES, BYTES), // payload length beyond the frame
        frame(job, epoch, 0, 1, BYTES, 64, BYTES, BYTES), // offset out of order / beyond
      };
      for (final UnsafeBuffer b : bad) {
        sendRaw(rogue, b, b.capacity());
      }
      sendRaw(rogue, new UnsafeBuffer(new byte[10]), 10);
      final UnsafeBuffer blamesRank9 = faultNotice(job, epoch, 9, Communicator.FAULT_LOST, 8);
      sendRaw(rogue, blamesRank9, blamesRank9.capacity()); // blamed rank >= P
      final UnsafeBuffer unknownKind = faultNotice(job, epoch, 0, 77, 8);
      sendRaw(rogue, unknownKind, unknownKind.capacity());
      final UnsafeBuffer shortNotice = faultNotice(job, epoch, 0, Communicator.FAULT_LOST, 4);
      sendRaw(rogue, shortNotice, shortNotice.capacity());
      final List<byte[]> got =
          g.run(
              (rank, comm) -> {
                final MemorySegment send = Arena.ofAuto().allocate(BYTES);
                send.fill((byte) (rank + 1));
                final MemorySegment recv = Arena.ofAuto().allocate(BYTES);
                new RingExchange(comm).exchange(send, recv, BYTES);
                return recv.toArray(ValueLayout.JAVA_BYTE);
              });
      for (final byte b : got.get(0)) {
        assertEquals(2, b, "rank 0 must hold rank 1's bytes, never the poison");
      }
      final Communicator c0 = g.comm(0);
      assertEquals(1, c0.counter(CollectiveCounter.DROPPED_FOREIGN_JOB));
      assertEquals(1, c0.counter(CollectiveCounter.DROPPED_STALE_EPOCH));
      assertEquals(1, c0.counter(CollectiveCounter.REJECTED_FUTURE_EPOCH));
      assertEquals(2, c0.counter(CollectiveCounter.REJECTED_RANK));
      assertEquals(2, c0.counter(CollectiveCounter.REJECTED_LENGTH));
      assertEquals(1, c0.counter(CollectiveCounter.REJECTED_OFFSET));
      assertEquals(1, c0.counter(CollectiveCounter.REJECTED_SHORT_FRAME));
      assertEquals(3, c0.counter(CollectiveCounter.REJECTED_FAULT_NOTICE));
      assertEquals(0, c0.counter(CollectiveCounter.FAULT_NOTICES_RECEIVED));
      assertEquals(12, c0.droppedOrRejected());
      assertEquals(1, c0.counter(CollectiveCounter.MESSAGES_RECEIVED));
    }
  }

  /** 100,000 random and mutated frames at a receiver with a posted receive: no crash, no hang. */
  @Test
  void fuzzedFramesNeverCrashTheReceiver() throws Exception {
    try (RankGroup g = RankGroup.create(RankGroup.Kind.INMEM, 2, TimeUnit.SECONDS.toNanos(30))) {
      final Communicator c0 = g.comm(0);
      final MemorySegment recv = Arena.ofAuto().allocate(4096);
      final Random rnd = new Random(12345);
      final UnsafeBuffer valid =
          frame(RankGroup.TEST_JOB_ID, RankGroup.TEST_EPOCH, 0, 1, 1000, 0, 4096, 1000);
      final UnsafeBuffer work = new UnsafeBuffer(new byte[2048]);
      int consumed = 0;
      int aborted = 0;
      final long seq = c0.nextSequence();
      int op = c0.postRecv(seq, 0, 1, recv, 0, 4096);
      for (int i = 0; i < 100_000; i++) {
        final int len;
        if (rnd.nextInt(4) == 0) { // pure garbage
          len = rnd.nextInt(work.capacity());
          for (int j = 0; j < len; j++) {
            work.putByte(j, (byte) rnd.nextInt());
          }
        } else { // a valid frame with a few mutated bytes and maybe a wrong length
          work.putBytes(0, valid, 0, valid.capacity());
          final int flips = 1 + rnd.nextInt(4);
          for (int f = 0; f < flips; f++) {
            work.putByte(rnd.nextInt(FrameHeaderFlyweight.HEADER_LENGTH), (byte) rnd.nextInt());
          }
          len = rnd.nextInt(8) == 0 ? rnd.nextInt(valid.capacity() + 1) : valid.capacity();
        }
        final int action = c0.onFrame(1, work, 0, len);
        if (action == FrameHandler.ABORT) {
          aborted++;
        } else {
          consumed++;
        }
        if (c0.isComplete(op)) { // mutated payload that happened to be valid: repost
          c0.release(op);
          op = c0.postRecv(seq, 0, 1, recv, 0, 4096);
        }
      }
      assertEquals(100_000, consumed + aborted);
      assertTrue(c0.droppedOrRejected() > 90_000, "only " + c0.droppedOrRejected() + " rejected");
      c0.cancelAll();
      // The receiver still works: a fresh collective on both ranks succeeds.
      g.comm(1).nextSequence(); // keep sequences aligned with rank 0's fuzz sequence
      final List<byte[]> got =
          g.run(
              (rank, comm) -> {
                final MemorySegment send = Arena.ofAuto().allocate(BYTES);
                send.fill((byte) (rank + 10));
                final MemorySegment r = Arena.ofAuto().allocate(BYTES);
                new RingExchange(comm).exchange(send, r, BYTES);
                return r.toArray(ValueLayout.JAVA_BYTE);
              });
      assertEquals(11, got.get(0)[0]);
      assertEquals(10, got.get(1)[0]);
    }
  }
}
