package io.seqpar.collectives;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.collectives.algo.AllScan;
import io.seqpar.collectives.transport.CrossMemory;
import io.seqpar.collectives.transport.FrameHandler;
import io.seqpar.collectives.transport.RendezvousBoard;
import io.seqpar.collectives.transport.SharedWindows;
import io.seqpar.collectives.wire.FrameHeaderFlyweight;
import io.seqpar.testing.TensorAssert;
import io.seqpar.testing.Tolerance;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * All-Scan hops where the receiver combines Γ ⊙ X + S straight out of the sender's shared windows
 * ({@link Communicator#postCombineSend}): bit-identical to the hops that compute and copy, really
 * used when the buffers are shared and not otherwise, and a combine descriptor that is malformed or
 * points outside the sender's windows is rejected and counted, never used.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CombineSendTest {
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  private static final ScanShape SHAPE = new ScanShape(2, 256, 128); // 256 KiB states

  @BeforeAll
  static void needsCrossMemory() {
    Assumptions.assumeTrue(
        CrossMemory.available(), "process_vm_readv is not available here (Linux only)");
  }

  @ParameterizedTest(name = "{0} P={1}")
  @EnumSource(
      value = RankGroup.Kind.class,
      names = {"INMEM", "IPC"})
  void sharedBuffersAreCombinedByTheReceiverWithResultsIdenticalToCopies(final RankGroup.Kind kind)
      throws Exception {
    for (final int p : new int[] {2, 3, 5}) {
      final int rows = SHAPE.rows();
      final float[][] logs = new float[p][];
      final float[][] states = new float[p][];
      randomPairs(11 + p, logs, states);
      try (RankGroup g = RankGroup.create(kind, p, TimeUnit.SECONDS.toNanos(30))) {
        final List<Run> copied = g.run((rank, comm) -> scan(comm, logs[rank], states[rank], false));
        final List<Run> combined =
            g.run((rank, comm) -> scan(comm, logs[rank], states[rank], true));
        final double[][] fwd = ScanReference.exclusive(logs, states, rows, SHAPE.dv(), true);
        final double[][] bwd = ScanReference.exclusive(logs, states, rows, SHAPE.dv(), false);
        long combinedMessages = 0;
        for (int r = 0; r < p; r++) {
          assertArrayEquals(
              copied.get(r).forward, combined.get(r).forward, "P=" + p + " rank " + r);
          assertArrayEquals(
              copied.get(r).reverse, combined.get(r).reverse, "P=" + p + " rank " + r);
          TensorAssert.assertClose(
              "P=" + p + " rank " + r + " forward",
              fwd[r],
              combined.get(r).forward,
              Tolerance.of(1e-5, 1e-4));
          TensorAssert.assertClose(
              "P=" + p + " rank " + r + " reverse",
              bwd[r],
              combined.get(r).reverse,
              Tolerance.of(1e-5, 1e-4));
          assertEquals(0, copied.get(r).combinedMessages, "private buffers are never combined");
          assertEquals(0, combined.get(r).rejected, "rank " + r + " rejected frames");
          combinedMessages += combined.get(r).combinedMessages;
        }
        // Three rounds of two passes, each with P − 1 hops of K = 2 blocks (the first rank's as
        // X = 0: a copy by loads and stores).
        assertEquals(3L * 2 * (p - 1) * 2, combinedMessages, "P=" + p + " combined messages");
      }
    }
  }

  /**
   * Ranks that outnumber cores: the first rank of the chain writes its zero result only once its
   * blocks are taken ({@link AllScan}), so whatever its output held before, the call returns zeros
   * there; every other rank's result is exact, forward and reverse, call after call.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = RankGroup.Kind.class,
      names = {"INMEM", "IPC"})
  void oversubscribedFirstRankStillReturnsZeros(final RankGroup.Kind kind) throws Exception {
    final int p = 3;
    final int rows = SHAPE.rows();
    final int n = rows * SHAPE.dv();
    final float[][] logs = new float[p][];
    final float[][] states = new float[p][];
    randomPairs(29, logs, states);
    try (RankGroup g = RankGroup.create(kind, p, TimeUnit.SECONDS.toNanos(30))) {
      final List<float[][]> got =
          g.run(
              (rank, unused) -> {
                try (Communicator comm = g.oversubscribedComm(rank)) {
                  assertTrue(comm.oversubscribed());
                  final MemorySegment block =
                      comm.allocateShared(SHAPE.logBytes() + 2L * SHAPE.stateBytes());
                  final MemorySegment log = block.asSlice(0, SHAPE.logBytes());
                  final MemorySegment state = block.asSlice(SHAPE.logBytes(), SHAPE.stateBytes());
                  final MemorySegment out = block.asSlice(SHAPE.logBytes() + SHAPE.stateBytes());
                  MemorySegment.copy(logs[rank], 0, log, F, 0, rows);
                  MemorySegment.copy(states[rank], 0, state, F, 0, n);
                  final AllScan scan = new AllScan(comm, SHAPE, 0);
                  final float[][] last = new float[2][];
                  for (int round = 0; round < 3; round++) {
                    int d = 0;
                    for (final ScanDirection dir : ScanDirection.values()) {
                      for (int i = 0; i < n; i++) {
                        out.setAtIndex(F, i, Float.NaN);
                      }
                      scan.scan(dir, log, state, out);
                      last[d++] = out.asSlice(0, n * 4L).toArray(F);
                    }
                  }
                  return last;
                }
              });
      final double[][] fwd = ScanReference.exclusive(logs, states, rows, SHAPE.dv(), true);
      final double[][] bwd = ScanReference.exclusive(logs, states, rows, SHAPE.dv(), false);
      assertArrayEquals(new float[n], got.get(0)[0], "forward: rank 0 is first");
      assertArrayEquals(new float[n], got.get(p - 1)[1], "reverse: the last rank is first");
      for (int r = 0; r < p; r++) {
        TensorAssert.assertClose(
            "rank " + r + " forward", fwd[r], got.get(r)[0], Tolerance.of(1e-5, 1e-4));
        TensorAssert.assertClose(
            "rank " + r + " reverse", bwd[r], got.get(r)[1], Tolerance.of(1e-5, 1e-4));
      }
    }
  }

  /**
   * Fills {@code logs[r]} and {@code states[r]} for every rank with a random pair of {@link
   * #SHAPE}: decays in (−0.2, 0], every 17th row −100 (a factor flushed to 0), Gaussian states.
   */
  private static void randomPairs(final long seed, final float[][] logs, final float[][] states) {
    final Random rnd = new Random(seed);
    for (int r = 0; r < logs.length; r++) {
      logs[r] = new float[SHAPE.rows()];
      states[r] = new float[SHAPE.rows() * SHAPE.dv()];
      for (int i = 0; i < logs[r].length; i++) {
        logs[r][i] = i % 17 == 0 ? -100f : (float) (-0.2 * rnd.nextDouble());
      }
      for (int i = 0; i < states[r].length; i++) {
        states[r][i] = (float) rnd.nextGaussian();
      }
    }
  }

  private record Run(float[] forward, float[] reverse, long combinedMessages, long rejected) {}

  /** Three rounds of a forward and a reverse All-Scan (K = 2); the last round's results. */
  private static Run scan(
      final Communicator comm, final float[] logs, final float[] states, final boolean shared) {
    final long before = comm.counter(CollectiveCounter.COMBINE_RECEIVED);
    final long rejectedBefore = comm.droppedOrRejected();
    final long bytes = SHAPE.logBytes() + 2L * SHAPE.stateBytes();
    final MemorySegment block =
        shared ? comm.allocateShared(bytes) : Arena.ofAuto().allocate(bytes, 64);
    final MemorySegment log = block.asSlice(0, SHAPE.logBytes());
    final MemorySegment state = block.asSlice(SHAPE.logBytes(), SHAPE.stateBytes());
    final MemorySegment out = block.asSlice(SHAPE.logBytes() + SHAPE.stateBytes());
    MemorySegment.copy(logs, 0, log, F, 0, logs.length);
    MemorySegment.copy(states, 0, state, F, 0, states.length);
    final AllScan scan = new AllScan(comm, SHAPE, 2);
    final int n = states.length;
    float[] fwd = null;
    float[] bwd = null;
    for (int round = 0; round < 3; round++) {
      scan.scan(ScanDirection.FORWARD, log, state, out);
      fwd = out.asSlice(0, n * 4L).toArray(F);
      scan.scan(ScanDirection.REVERSE, log, state, out);
      bwd = out.asSlice(0, n * 4L).toArray(F);
    }
    return new Run(
        fwd,
        bwd,
        comm.counter(CollectiveCounter.COMBINE_RECEIVED) - before,
        comm.droppedOrRejected() - rejectedBefore);
  }

  @Test
  void windowsAreFoundOnlyForTheirOwnBytes() {
    try (SharedWindows w = SharedWindows.inProcess(SharedWindows.groupTable(2), 0, 2)) {
      final MemorySegment a = w.allocate(4096);
      assertNotNull(a);
      assertEquals(0, w.indexOf(a.address(), 4096));
      assertEquals(0, w.indexOf(a.address() + 4092, 4));
      assertEquals(-1, w.indexOf(a.address() + 4093, 4), "past the end");
      assertEquals(-1, w.indexOf(a.address() - 1, 4), "before the start");
      assertEquals(-1, w.indexOf(Arena.ofAuto().allocate(64).address(), 64), "private memory");
      assertNull(w.peer(1, 0), "rank 1 has no window 0");
      assertNull(w.peer(0, 0), "not our own");
      assertNull(w.peer(1, -1));
      assertNull(w.peer(1, SharedWindows.MAX_WINDOWS));
      assertNull(w.peer(2, 0), "no rank 2");
    }
  }

  /** Rank 1's windows hold X, S and log Γ; rank 0 posted a receive of MSG bytes from rank 1. */
  @Test
  void malformedOrWildCombineDescriptorsAreRejectedAndCounted() throws Exception {
    final int dv = 64;
    final int rows = 256;
    final int msg = rows * dv * 4; // 64 KiB
    try (RankGroup g = RankGroup.create(RankGroup.Kind.INMEM, 2, TimeUnit.SECONDS.toNanos(30))) {
      final Communicator c0 = g.comm(0);
      final MemorySegment win = g.comm(1).allocateShared(2L * msg + rows * 4L + 64);
      final long xAt = 0;
      final long sAt = msg;
      final long logAt = 2L * msg;
      for (int i = 0; i < rows * dv; i++) {
        win.set(F, xAt + i * 4L, (i % 9) * 0.5f);
        win.set(F, sAt + i * 4L, (i % 5) * 0.25f);
      }
      for (int r = 0; r < rows; r++) {
        win.set(F, logAt + r * 4L, -0.01f * (r % 7));
      }
      final MemorySegment recv = Arena.ofAuto().allocate(msg, 64);
      final long seq = c0.nextSequence();
      final int op = c0.postRecv(seq, 0, 1, recv, 0, msg);
      c0.progress(); // probes rank 1: descriptors now expected
      assertEquals(RendezvousBoard.READABLE, g.transport(0).rendezvousBoard().readable(1, 0));
      final UnsafeBuffer[] bad = {
        combine(seq, msg, 0, 0, 0, dv, xAt, sAt, logAt, 40), // payload not a combine descriptor
        combine(seq, msg - 4, 0, 0, 0, dv, xAt, sAt, logAt, 48), // length not the posted one
        combine(seq, msg, 1, 0, 0, dv, xAt, sAt, logAt, 48), // no window 1
        combine(seq, msg, 0, -1, 0, dv, xAt, sAt, logAt, 48), // negative window
        combine(seq, msg, 0, 0, 9999, dv, xAt, sAt, logAt, 48), // window index beyond the limit
        combine(seq, msg, 0, 0, 0, 0, xAt, sAt, logAt, 48), // dv = 0
        combine(seq, msg, 0, 0, 0, 3, xAt, sAt, logAt, 48), // rows of dv do not tile the message
        combine(seq, msg, 0, 0, 0, dv, 2L * msg, sAt, logAt, 48), // X past the window's end
        combine(seq, msg, 0, 0, 0, dv, xAt, -64, logAt, 48), // negative offset
        combine(seq, msg, 0, 0, 0, dv, xAt, sAt, win.byteSize() - 8, 48), // log Γ past the end
        combine(seq, msg, 0, 0, 0, dv, xAt + 2, sAt, logAt, 48), // unaligned
        combine(seq, msg, 0, 0, 0, dv, xAt, sAt, sAt, 48), // "log Γ" with positive values
        combine(seq, msg, -1, 0, 0, dv, xAt, sAt, logAt, 48), // no X but a log Γ window
        combine(seq, msg, -1, 7, -1, dv, xAt, sAt, logAt, 48), // X = 0, no S window 7
        combine(seq, msg, -1, 0, -1, dv, 0, 2L * msg, 0, 48), // X = 0, S past the end
      };
      for (final UnsafeBuffer b : bad) {
        assertEquals(FrameHandler.CONSUMED, c0.onFrame(1, b, 0, b.capacity()));
        assertFalse(c0.isComplete(op));
      }
      assertEquals(bad.length, c0.counter(CollectiveCounter.REJECTED_DESCRIPTOR));
      final UnsafeBuffer good = combine(seq, msg, 0, 0, 0, dv, xAt, sAt, logAt, 48);
      assertEquals(FrameHandler.CONSUMED, c0.onFrame(1, good, 0, good.capacity()));
      assertTrue(c0.isComplete(op));
      for (int i = 0; i < rows * dv; i++) {
        final int r = i / dv;
        final float f = ScanOperator.decayFactor(win.get(F, logAt + r * 4L));
        final float want = f * win.get(F, xAt + i * 4L) + win.get(F, sAt + i * 4L);
        assertEquals(want, recv.get(F, i * 4L), "element " + i);
      }
      assertEquals(0x77L, g.transport(0).rendezvousBoard().ack(1, 0), "token acknowledged");
      assertEquals(1, c0.counter(CollectiveCounter.COMBINE_RECEIVED));
      assertEquals(bad.length, c0.droppedOrRejected());
      c0.release(op);

      // X = 0 (the first rank of a chain): the message is S, copied.
      final long seq2 = c0.nextSequence();
      final int op2 = c0.postRecv(seq2, 0, 1, recv, 0, msg);
      final UnsafeBuffer copy = combine(seq2, msg, -1, 0, -1, dv, 0, sAt, 0, 48);
      assertEquals(FrameHandler.CONSUMED, c0.onFrame(1, copy, 0, copy.capacity()));
      assertTrue(c0.isComplete(op2));
      assertEquals(-1, recv.mismatch(win.asSlice(sAt, msg)), "the message is S");
      assertEquals(2, c0.counter(CollectiveCounter.COMBINE_RECEIVED));
      c0.release(op2);
    }
  }

  private static UnsafeBuffer combine(
      final long seq,
      final int length,
      final int xWindow,
      final int sWindow,
      final int logWindow,
      final int dv,
      final long xOffset,
      final long sOffset,
      final long logOffset,
      final int payload) {
    final UnsafeBuffer b =
        SingleCopyTest.descriptorFrame(
            seq, length, FrameHeaderFlyweight.COMBINE_DESCRIPTOR_BLOCK_INDEX, payload);
    if (payload >= Communicator.COMBINE_DESCRIPTOR_BYTES) {
      final int at = FrameHeaderFlyweight.HEADER_LENGTH;
      b.putInt(at, xWindow, ByteOrder.LITTLE_ENDIAN);
      b.putInt(at + 4, sWindow, ByteOrder.LITTLE_ENDIAN);
      b.putInt(at + 8, logWindow, ByteOrder.LITTLE_ENDIAN);
      b.putInt(at + 12, dv, ByteOrder.LITTLE_ENDIAN);
      b.putLong(at + 16, xOffset, ByteOrder.LITTLE_ENDIAN);
      b.putLong(at + 24, sOffset, ByteOrder.LITTLE_ENDIAN);
      b.putLong(at + 32, logOffset, ByteOrder.LITTLE_ENDIAN);
      b.putLong(at + 40, 0x77L, ByteOrder.LITTLE_ENDIAN);
    }
    return b;
  }
}
