package io.seqpar.collectives;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.collectives.algo.AllGather;
import io.seqpar.collectives.algo.AllReduce;
import io.seqpar.collectives.algo.AllScan;
import io.seqpar.collectives.algo.RingExchange;
import io.seqpar.collectives.transport.CrossMemory;
import io.seqpar.collectives.transport.FrameHandler;
import io.seqpar.collectives.transport.InMemoryTransport;
import io.seqpar.collectives.transport.RendezvousBoard;
import io.seqpar.collectives.wire.FrameHeaderFlyweight;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Single-copy messages (a descriptor frame, then {@code process_vm_readv} from the sender's buffer)
 * give bit-identical results to frames, are really used for large messages, and a descriptor that
 * is malformed, unexpected or points outside the sender is rejected and counted, never used.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SingleCopyTest {
  private static final int P = 3;
  private static final ScanShape SHAPE = new ScanShape(2, 256, 128); // 256 KiB states

  @BeforeAll
  static void needsCrossMemory() {
    Assumptions.assumeTrue(
        CrossMemory.available(), "process_vm_readv is not available here (Linux only)");
  }

  @Test
  void crossMemoryReadsThisProcessAndReportsBadAddresses() {
    final CrossMemory cm = new CrossMemory();
    final MemorySegment src = Arena.ofAuto().allocate(300_000, 64);
    final MemorySegment dst = Arena.ofAuto().allocate(300_000, 64);
    for (int i = 0; i < 300_000; i++) {
      src.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31));
    }
    assertEquals(300_000, cm.read(CrossMemory.currentPid(), dst.address(), src.address(), 300_000));
    assertEquals(-1, dst.mismatch(src));
    assertEquals(-CrossMemory.EFAULT, cm.read(CrossMemory.currentPid(), dst.address(), 4096, 8));
  }

  @ParameterizedTest
  @EnumSource(
      value = RankGroup.Kind.class,
      names = {"INMEM", "IPC"})
  void largeMessagesGoBySingleCopyWithResultsIdenticalToFrames(final RankGroup.Kind kind)
      throws Exception {
    try (RankGroup g = RankGroup.create(kind, P, TimeUnit.SECONDS.toNanos(30))) {
      assertTrue(g.transport(0).rendezvousBoard() != null, "an on-host group offers single copy");
      final List<Outcome> single = g.run((rank, unused) -> runAll(g, rank, 64 * 1024));
      final List<Outcome> frames = g.run((rank, unused) -> runAll(g, rank, Integer.MAX_VALUE));
      long sent = 0;
      long received = 0;
      for (int r = 0; r < P; r++) {
        assertArrayEquals(frames.get(r).bytes, single.get(r).bytes, "rank " + r + " results");
        assertEquals(0, frames.get(r).copied, "single copy off must send frames only");
        assertEquals(0, single.get(r).rejected, "rank " + r + " rejected frames");
        sent += single.get(r).sentByCopy;
        received += single.get(r).copied;
      }
      assertTrue(received > 0, "no message went by single copy");
      assertEquals(sent, received, "every descriptor sent was copied");
    }
  }

  private record Outcome(byte[] bytes, long copied, long sentByCopy, long rejected) {}

  /**
   * Every collective with messages on both sides of the threshold, several rounds, all results
   * concatenated. A fresh communicator per run: single copy on or off.
   */
  private static Outcome runAll(final RankGroup g, final int rank, final int minBytes) {
    try (Communicator comm =
        new Communicator(
            g.transport(rank),
            new CollectiveContext()
                .jobId(RankGroup.TEST_JOB_ID)
                .epoch(RankGroup.TEST_EPOCH)
                .singleCopyMinBytes(minBytes))) {
      final Arena arena = Arena.ofAuto();
      final MemorySegment log = arena.allocate(SHAPE.logBytes(), 64);
      final MemorySegment state = arena.allocate(SHAPE.stateBytes(), 64);
      for (int i = 0; i < SHAPE.logBytes() / 4; i++) {
        log.setAtIndex(ValueLayout.JAVA_FLOAT, i, -0.01f * (1 + (i + rank) % 5));
      }
      for (int i = 0; i < SHAPE.stateBytes() / 4; i++) {
        state.setAtIndex(ValueLayout.JAVA_FLOAT, i, (rank * 7 + i % 13) * 0.125f);
      }
      final int gatherBytes = 96 * 1024;
      final int ringBytes = 200_000;
      final int reduceCount = 64 * 1024; // 256 KiB: the ring path, blocks above the threshold
      final MemorySegment out =
          arena.allocate(
              (long) SHAPE.stateBytes() * 2
                  + (long) P * 2 * gatherBytes
                  + ringBytes
                  + reduceCount * 4L,
              64);
      final AllScan scan = new AllScan(comm, SHAPE, 2);
      final AllGather ring = new AllGather(comm, ExchangePattern.RING);
      final AllGather direct = new AllGather(comm, ExchangePattern.DIRECT);
      final RingExchange exchange = new RingExchange(comm);
      final AllReduce reduce = new AllReduce(comm, reduceCount * 4);
      for (int round = 0; round < 3; round++) {
        long at = 0;
        scan.scan(ScanDirection.FORWARD, log, state, out.asSlice(at, SHAPE.stateBytes()));
        at += SHAPE.stateBytes();
        scan.scan(ScanDirection.REVERSE, log, state, out.asSlice(at, SHAPE.stateBytes()));
        at += SHAPE.stateBytes();
        ring.start(
            state.asSlice(0, gatherBytes), out.asSlice(at, (long) P * gatherBytes), gatherBytes);
        ring.await();
        at += (long) P * gatherBytes;
        direct.start(
            state.asSlice(8, gatherBytes), out.asSlice(at, (long) P * gatherBytes), gatherBytes);
        direct.await();
        at += (long) P * gatherBytes;
        exchange.exchange(state, out.asSlice(at, ringBytes), ringBytes);
        at += ringBytes;
        final MemorySegment sum = out.asSlice(at, reduceCount * 4L);
        MemorySegment.copy(state, 0, sum, 0, reduceCount * 4L);
        reduce.start(sum, reduceCount);
        reduce.await();
      }
      return new Outcome(
          out.toArray(ValueLayout.JAVA_BYTE),
          comm.counter(CollectiveCounter.SINGLE_COPY_RECEIVED),
          comm.counter(CollectiveCounter.SINGLE_COPY_SENT),
          comm.droppedOrRejected());
    }
  }

  private static final int MSG = 64 * 1024;

  /**
   * Whether processes of this user may read each other here: process_vm_readv exists and no Yama
   * ptrace_scope above 0 (Ubuntu's default 1 forbids it between siblings; frames are used then).
   */
  static boolean crossProcessReadsAllowed() {
    final java.nio.file.Path yama = java.nio.file.Path.of("/proc/sys/kernel/yama/ptrace_scope");
    try {
      return CrossMemory.available()
          && (!java.nio.file.Files.exists(yama)
              || java.nio.file.Files.readString(yama).trim().equals("0"));
    } catch (final java.io.IOException e) {
      return false;
    }
  }

  /**
   * A frame from rank 1 with block index {@code blockIndex} (a descriptor kind), tag 0, standing
   * for a message of {@code length}; {@code payload} bytes after the header, zero, for the caller.
   */
  static UnsafeBuffer descriptorFrame(
      final long seq, final long length, final int blockIndex, final int payload) {
    final UnsafeBuffer b = new UnsafeBuffer(new byte[FrameHeaderFlyweight.HEADER_LENGTH + payload]);
    new FrameHeaderFlyweight()
        .wrapHeader(b, 0)
        .jobId(RankGroup.TEST_JOB_ID)
        .epoch(RankGroup.TEST_EPOCH)
        .sequence(seq)
        .tag(0)
        .srcRank(1)
        .blockIndex(blockIndex)
        .payloadLength(payload)
        .messageOffset(0)
        .messageLength(length);
    return b;
  }

  /** A descriptor frame from rank 1 for a message of {@code length} at {@code address}. */
  private static UnsafeBuffer descriptor(
      final long seq, final long length, final long address, final long token, final int payload) {
    final UnsafeBuffer b =
        descriptorFrame(seq, length, FrameHeaderFlyweight.DESCRIPTOR_BLOCK_INDEX, payload);
    if (payload >= 16) {
      b.putLong(FrameHeaderFlyweight.HEADER_LENGTH, address, ByteOrder.LITTLE_ENDIAN);
      b.putLong(FrameHeaderFlyweight.HEADER_LENGTH + 8, token, ByteOrder.LITTLE_ENDIAN);
    }
    return b;
  }

  /**
   * One poll fills at most one message out of a sender's memory, so a collective can forward it
   * (the next block of an All-Scan hop) before the next copy starts; messages that came as frames
   * are not held back. Before, one poll copied every waiting block first and the pipeline ran rank
   * after rank.
   */
  @Test
  void aPollCopiesOneMessageOutOfTheSenderThenReturns() throws Exception {
    final InMemoryTransport[] t = InMemoryTransport.group(2);
    final CollectiveContext ctx =
        new CollectiveContext().jobId(RankGroup.TEST_JOB_ID).epoch(RankGroup.TEST_EPOCH);
    try (Communicator c0 = new Communicator(t[0], ctx);
        Communicator c1 = new Communicator(t[1], ctx)) {
      final MemorySegment big = Arena.ofAuto().allocate(3L * MSG, 64);
      final MemorySegment small = Arena.ofAuto().allocate(64, 64);
      final MemorySegment in = Arena.ofAuto().allocate(3L * MSG, 64);
      for (int i = 0; i < 3 * MSG / Float.BYTES; i++) {
        big.setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
      }
      // Rank 1 probes rank 0 (it has a receive posted), so rank 0 may send descriptors.
      final int probeRecv = c1.postRecv(c1.nextSequence(), 0, 0, in, 0, 64);
      c1.progress();
      assertEquals(RendezvousBoard.READABLE, t[0].rendezvousBoard().readable(0, 1));
      final long seq = c0.nextSequence();
      c0.postSend(seq, 0, 1, small, 0, 64); // completes probeRecv
      final int[] sends = new int[3];
      for (int k = 0; k < 3; k++) {
        sends[k] = c0.postSend(seq, 1 + k, 1, big, (long) k * MSG, MSG); // descriptors
      }
      c0.postSend(seq, 4, 1, small, 0, 64); // frames, behind them
      c0.progress(); // every descriptor and the frames are in the stream before rank 1 polls
      final int[] recvs = new int[3];
      for (int k = 0; k < 3; k++) {
        recvs[k] = c1.postRecv(seq, 1 + k, 0, in, (long) k * MSG, MSG);
      }
      final MemorySegment tailIn = Arena.ofAuto().allocate(64, 64);
      final int tail = c1.postRecv(seq, 4, 0, tailIn, 0, 64);
      for (int k = 0; k < 3; k++) {
        c1.progress();
        for (int j = 0; j < 3; j++) {
          assertEquals(j <= k, c1.isComplete(recvs[j]), "after poll " + k + ", block " + j);
        }
      }
      c1.progress();
      assertTrue(c1.isComplete(probeRecv));
      assertTrue(c1.isComplete(tail), "frames after the last copy");
      for (int i = 0; i < 3 * MSG / Float.BYTES; i++) {
        assertEquals(i, in.getAtIndex(ValueLayout.JAVA_FLOAT, i), 0f, "element " + i);
      }
      c0.progress();
      for (int k = 0; k < 3; k++) {
        assertTrue(c0.isComplete(sends[k]), "send " + k + " acknowledged");
      }
    }
  }

  /**
   * A small send that completed (frames) behind a large one still waiting to be copied may be
   * released and its slot reused by a receive; acknowledging the large send must not complete that
   * receive. Repeated: tokens start at random values, and a stale slot matched half of them.
   */
  @Test
  void aReleasedSlotBehindAnUncopiedSendIsNeverCompletedByItsAcknowledgement() throws Exception {
    for (int round = 0; round < 20; round++) {
      final InMemoryTransport[] t = InMemoryTransport.group(2);
      final CollectiveContext ctx =
          new CollectiveContext()
              .jobId(RankGroup.TEST_JOB_ID)
              .epoch(RankGroup.TEST_EPOCH)
              .maxOps(8);
      try (Communicator c0 = new Communicator(t[0], ctx);
          Communicator c1 = new Communicator(t[1], ctx)) {
        final MemorySegment big = Arena.ofAuto().allocate(MSG, 64);
        final MemorySegment small = Arena.ofAuto().allocate(64, 64);
        final MemorySegment in = Arena.ofAuto().allocate(MSG, 64);
        // Rank 1 probes rank 0 (it has a receive posted), so rank 0 may send descriptors.
        final int probeRecv = c1.postRecv(c1.nextSequence(), 0, 0, in, 0, 64);
        c1.progress();
        assertEquals(RendezvousBoard.READABLE, t[0].rendezvousBoard().readable(0, 1));
        final long seq = c0.nextSequence();
        c0.postSend(seq, 0, 1, small, 0, 64); // completes probeRecv
        final int a = c0.postSend(seq, 1, 1, big, 0, MSG); // a descriptor, then waits
        final int b = c0.postSend(seq, 2, 1, small, 0, 64); // frames: complete at once
        c0.progress();
        assertTrue(c0.isComplete(b));
        assertFalse(c0.isComplete(a));
        c0.release(b);
        // Take slots until b's comes round again, as a receive nobody will send to.
        int reused = -1;
        final int[] held = new int[6];
        for (int i = 0; i < held.length && reused != b; i++) {
          held[i] = c0.postRecv(seq + 1, 9, 1, in, 0, 64);
          reused = held[i];
        }
        assertEquals(b, reused, "the released slot is reused");
        // Rank 1 copies the large message; rank 0 sees the acknowledgement.
        c1.release(probeRecv);
        c1.postRecv(seq, 0, 0, in, 0, 64);
        final int copy = c1.postRecv(seq, 1, 0, in, 0, MSG);
        for (int i = 0; i < 100 && !c1.isComplete(copy); i++) {
          c1.progress();
        }
        assertTrue(c1.isComplete(copy));
        for (int i = 0; i < 10; i++) {
          c0.progress();
        }
        assertTrue(c0.isComplete(a), "the copied send completes");
        assertFalse(c0.isComplete(reused), "round " + round + ": a receive completed by an ack");
      }
    }
  }

  /**
   * Where the probe cannot read a peer (here: a registration pointing at an unmapped address, as
   * EPERM under a strict ptrace policy would), that peer is marked refused and sends frames.
   */
  @Test
  void aPeerThatCannotBeReadSendsFrames() throws Exception {
    final InMemoryTransport[] t = InMemoryTransport.group(2);
    final CollectiveContext ctx =
        new CollectiveContext().jobId(RankGroup.TEST_JOB_ID).epoch(RankGroup.TEST_EPOCH);
    try (Communicator c0 = new Communicator(t[0], ctx);
        Communicator c1 = new Communicator(t[1], ctx)) {
      final RendezvousBoard board = t[0].rendezvousBoard();
      board.register(1, CrossMemory.currentPid(), 4096, 42); // rank 1's probe word "unreadable"
      final MemorySegment out = Arena.ofAuto().allocate(MSG, 64);
      final MemorySegment in = Arena.ofAuto().allocate(MSG, 64);
      for (int i = 0; i < MSG; i++) {
        out.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7));
      }
      for (int round = 0; round < 3; round++) {
        final long seq = c0.nextSequence();
        c1.nextSequence();
        final int recv = c0.postRecv(seq, 0, 1, in, 0, MSG);
        final int send = c1.postSend(seq, 0, 0, out, 0, MSG);
        for (int i = 0; i < 10_000 && !(c0.isComplete(recv) && c1.isComplete(send)); i++) {
          c0.progress();
          c1.progress();
        }
        assertTrue(c0.isComplete(recv) && c1.isComplete(send), "round " + round);
        assertEquals(-1, in.mismatch(out));
        c0.release(recv);
        c1.release(send);
      }
      assertEquals(RendezvousBoard.REFUSED, board.readable(1, 0));
      assertEquals(0, c0.counter(CollectiveCounter.SINGLE_COPY_RECEIVED), "frames only");
      assertTrue(c0.counter(CollectiveCounter.FRAMES_RECEIVED) > 3, "the messages came as frames");
    }
  }

  @Test
  void malformedUnexpectedOrWildDescriptorsAreRejectedAndCounted() throws Exception {
    try (RankGroup g = RankGroup.create(RankGroup.Kind.INMEM, 2, TimeUnit.SECONDS.toNanos(30))) {
      final Communicator c0 = g.comm(0);
      final RendezvousBoard board = g.transport(0).rendezvousBoard();
      final MemorySegment recv = Arena.ofAuto().allocate(MSG, 64);
      final MemorySegment senderBuffer = Arena.ofAuto().allocate(MSG, 64);
      for (int i = 0; i < MSG; i++) {
        senderBuffer.set(ValueLayout.JAVA_BYTE, i, (byte) (i % 251));
      }
      final long seq = c0.nextSequence();
      final int op = c0.postRecv(seq, 0, 1, recv, 0, MSG);
      c0.progress(); // probes rank 1 (registered by its communicator): descriptors now expected
      assertEquals(RendezvousBoard.READABLE, board.readable(1, 0));
      final long addr = senderBuffer.address();
      final UnsafeBuffer[] bad = {
        descriptor(seq, MSG, addr, 5, 24), // payload not a descriptor
        descriptor(seq, MSG - 4, addr, 5, 16), // length not the posted one
        descriptor(seq, MSG, 4096, 5, 16), // address not mapped in the sender: EFAULT
      };
      for (final UnsafeBuffer b : bad) {
        assertEquals(FrameHandler.CONSUMED, c0.onFrame(1, b, 0, b.capacity()));
        assertFalse(c0.isComplete(op));
      }
      assertEquals(3, c0.counter(CollectiveCounter.REJECTED_DESCRIPTOR));
      final UnsafeBuffer good = descriptor(seq, MSG, addr, 0x1234_5678L, 16);
      assertEquals(FrameHandler.CONSUMED, c0.onFrame(1, good, 0, good.capacity()));
      assertTrue(c0.isComplete(op));
      assertEquals(-1, recv.mismatch(senderBuffer), "the message copied from the sender");
      assertEquals(0x1234_5678L, board.ack(1, 0), "the token acknowledged on the board");
      assertEquals(1, c0.counter(CollectiveCounter.SINGLE_COPY_RECEIVED));
      assertEquals(3, c0.droppedOrRejected());
      c0.release(op);

      // A rank with single copy off never agreed to read anyone: a descriptor is rejected.
      try (Communicator off =
          new Communicator(
              g.transport(0),
              new CollectiveContext()
                  .jobId(RankGroup.TEST_JOB_ID)
                  .epoch(RankGroup.TEST_EPOCH)
                  .singleCopyMinBytes(Integer.MAX_VALUE))) {
        final long s2 = off.nextSequence();
        final int op2 = off.postRecv(s2, 0, 1, recv, 0, MSG);
        off.progress();
        final UnsafeBuffer d = descriptor(s2, MSG, addr, 7, 16);
        assertEquals(FrameHandler.CONSUMED, off.onFrame(1, d, 0, d.capacity()));
        assertFalse(off.isComplete(op2));
        assertEquals(1, off.counter(CollectiveCounter.REJECTED_DESCRIPTOR));
      }
    }
  }
}
