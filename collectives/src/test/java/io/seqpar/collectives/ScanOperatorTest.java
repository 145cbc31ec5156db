package io.seqpar.collectives;

import static io.seqpar.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.seqpar.testing.OracleCase;
import io.seqpar.testing.Tolerance;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The scan operator's algebra (algorithms.md §7 property 5) and a serial fold vs the oracle. */
@Timeout(60)
class ScanOperatorTest {
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  private static final int HEADS = 2;
  private static final int DK = 6;
  private static final int DV = 5;

  private final Arena arena = Arena.ofAuto();
  private final SplittableRandom rnd = new SplittableRandom(11);

  private record Pair(MemorySegment log, MemorySegment state) {}

  private Pair random() {
    final Pair p = new Pair(arena.allocate(4L * HEADS * DK), arena.allocate(4L * HEADS * DK * DV));
    for (int i = 0; i < HEADS * DK; i++) {
      p.log.setAtIndex(F, i, (float) -rnd.nextDouble(0.0, 2.0));
    }
    for (int i = 0; i < HEADS * DK * DV; i++) {
      p.state.setAtIndex(F, i, (float) rnd.nextDouble(-1, 1));
    }
    return p;
  }

  private Pair combine(final Pair a, final Pair b) {
    final Pair out =
        new Pair(arena.allocate(4L * HEADS * DK), arena.allocate(4L * HEADS * DK * DV));
    ScanOperator.combine(a.log, a.state, b.log, b.state, out.log, out.state, HEADS, DK, DV);
    return out;
  }

  private static float[] arr(final MemorySegment s) {
    return s.toArray(F);
  }

  @Test
  void isAssociative() {
    final Pair a = random();
    final Pair b = random();
    final Pair c = random();
    final Pair left = combine(combine(a, b), c);
    final Pair right = combine(a, combine(b, c));
    assertClose("log", arr(left.log), arr(right.log), Tolerance.of(1e-6, 1e-6));
    assertClose("state", arr(left.state), arr(right.state), Tolerance.of(1e-6, 1e-6));
  }

  @Test
  void identityIsNeutralOnBothSides() {
    final Pair a = random();
    final Pair e = new Pair(arena.allocate(4L * HEADS * DK), arena.allocate(4L * HEADS * DK * DV));
    ScanOperator.identity(e.log, e.state);
    assertArrayEquals(arr(a.state), arr(combine(e, a).state));
    assertArrayEquals(arr(a.state), arr(combine(a, e).state));
    assertArrayEquals(arr(a.log), arr(combine(a, e).log));
  }

  @Test
  void isNotCommutative() {
    final Pair a = random();
    final Pair b = random();
    assertFalse(Arrays.equals(arr(combine(a, b).state), arr(combine(b, a).state)));
  }

  @Test
  void rowBlocksScannedSeparatelyAreBitIdentical() {
    final Pair a = random();
    final Pair b = random();
    final Pair whole = combine(a, b);
    final Pair blocks =
        new Pair(arena.allocate(4L * HEADS * DK), arena.allocate(4L * HEADS * DK * DV));
    for (final int[] rows : new int[][] {{0, 1}, {1, 4}, {4, 6}}) {
      ScanOperator.combine(
          a.log,
          a.state,
          b.log,
          b.state,
          blocks.log,
          blocks.state,
          HEADS,
          DK,
          DV,
          rows[0],
          rows[1]);
    }
    assertArrayEquals(arr(whole.state), arr(blocks.state));
    assertArrayEquals(arr(whole.log), arr(blocks.log));
  }

  @Test
  void decayBelowTheFloorIsExactlyZero() {
    assertArrayEquals(new float[] {0f}, new float[] {ScanOperator.decayFactor(-88f)});
    assertArrayEquals(new float[] {1f}, new float[] {ScanOperator.decayFactor(0f)});
  }

  static java.util.stream.Stream<String> cases() {
    return OracleCase.names().stream();
  }

  /** A serial exclusive fold of the oracle's per-rank pairs reproduces its S_in and dS_out. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void serialFoldOfOracleShardsMatchesOracle(final String name) {
    final OracleCase c = OracleCase.load(name);
    final int heads = c.b() * c.h();
    final int dk = c.dk();
    final int dv = c.dv();
    for (final int p : c.shardCounts()) {
      final String pre = "shard_P" + p + "_";
      final double[] decay = c.expected(pre + "local_decay");
      final double[] state = c.expected(pre + "local_state");
      final double[] dstate = c.expected(pre + "local_dstate");
      final int pairLog = heads * dk;
      final int pairState = heads * dk * dv;
      final float[] sIn = new float[p * pairState];
      final float[] dsOut = new float[p * pairState];
      final MemorySegment acc = arena.allocate(4L * pairState);
      final MemorySegment log = arena.allocate(4L * pairLog);
      final MemorySegment st = arena.allocate(4L * pairState);
      // forward: S_in[r] = fold of pairs 0..r-1
      acc.fill((byte) 0);
      for (int r = 0; r < p; r++) {
        MemorySegment.copy(acc, F, 0, sIn, r * pairState, pairState);
        load(log, st, decay, state, r, pairLog, pairState);
        ScanOperator.combine(null, acc, log, st, null, acc, heads, dk, dv);
      }
      // backward: dS_out[r] = fold of pairs P-1..r+1 in reverse
      acc.fill((byte) 0);
      for (int r = p - 1; r >= 0; r--) {
        MemorySegment.copy(acc, F, 0, dsOut, r * pairState, pairState);
        load(log, st, decay, dstate, r, pairLog, pairState);
        ScanOperator.combine(null, acc, log, st, null, acc, heads, dk, dv);
      }
      assertClose(
          name + " " + pre + "S_in", c.expected(pre + "S_in"), sIn, c.tolerance(pre + "S_in"));
      assertClose(
          name + " " + pre + "dS_out",
          c.expected(pre + "dS_out"),
          dsOut,
          c.tolerance(pre + "dS_out"));
    }
  }

  private static void load(
      final MemorySegment log,
      final MemorySegment st,
      final double[] decay,
      final double[] state,
      final int r,
      final int pairLog,
      final int pairState) {
    for (int i = 0; i < pairLog; i++) {
      log.setAtIndex(F, i, (float) Math.log(decay[r * pairLog + i]));
    }
    for (int i = 0; i < pairState; i++) {
      st.setAtIndex(F, i, (float) state[r * pairState + i]);
    }
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {1, 7, 8, 37, 256})
  void simdRowsRoundLikeTheScalarExpressionInPlaceOrNot(final int dv) {
    // f·a + b as two float roundings (never a fused multiply-add), in SIMD lanes and the tail.
    final int rows = 3;
    final MemorySegment log = arena.allocate(4L * rows);
    final MemorySegment a = arena.allocate(4L * rows * dv);
    final MemorySegment b = arena.allocate(4L * rows * dv);
    for (int i = 0; i < rows; i++) {
      log.setAtIndex(F, i, i == 2 ? -100f : (float) -rnd.nextDouble(0.0, 2.0)); // row 2: flushed
    }
    for (int i = 0; i < rows * dv; i++) {
      a.setAtIndex(F, i, (float) rnd.nextDouble(-1, 1));
      b.setAtIndex(F, i, (float) rnd.nextDouble(-1, 1));
    }
    final float[] expected = new float[rows * dv];
    for (int i = 0; i < rows; i++) {
      final float f = ScanOperator.decayFactor(log.getAtIndex(F, i));
      for (int j = 0; j < dv; j++) {
        expected[i * dv + j] =
            f * a.getAtIndex(F, (long) i * dv + j) + b.getAtIndex(F, (long) i * dv + j);
      }
    }
    final MemorySegment out = arena.allocate(4L * rows * dv);
    ScanOperator.combine(null, a, log, b, null, out, 1, rows, dv);
    assertArrayEquals(expected, arr(out));
    final MemorySegment inA = arena.allocate(4L * rows * dv).copyFrom(a);
    ScanOperator.combine(null, inA, log, b, null, inA, 1, rows, dv); // out aliases a
    assertArrayEquals(expected, arr(inA));
    final MemorySegment inB = arena.allocate(4L * rows * dv).copyFrom(b);
    ScanOperator.combine(null, a, log, inB, null, inB, 1, rows, dv); // out aliases b
    assertArrayEquals(expected, arr(inB));
  }
}
