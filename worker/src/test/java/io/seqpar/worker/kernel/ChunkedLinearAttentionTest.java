package io.seqpar.worker.kernel;

import static io.seqpar.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.seqpar.testing.Tolerance;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Properties of the chunked kernel that need no oracle (algorithms.md §7). */
@Timeout(120)
class ChunkedLinearAttentionTest {

  /** float32 kernel vs float64 reference, errors relative to the reference's scale. */
  private static Tolerance fp32(final double[] ref) {
    double max = 0;
    for (final double x : ref) {
      max = Math.max(max, Math.abs(x));
    }
    return Tolerance.of(2e-5, 1e-4 * max + 1e-5);
  }

  static Stream<Arguments> randomShapes() {
    final List<Arguments> out = new ArrayList<>();
    final int[][] shapes = {
      {1, 4, 3}, {5, 3, 2}, {37, 8, 6}, {64, 16, 16}, {130, 17, 9}, {200, 32, 8}
    };
    final int[] chunks = {1, 4, 16, 64};
    long seed = 1;
    for (final DecayMode mode : DecayMode.values()) {
      for (final int[] s : shapes) {
        for (final int c : chunks) {
          out.add(Arguments.of(mode, s[0], s[1], s[2], c, seed++));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} L={1} dk={2} dv={3} C={4}")
  @MethodSource("randomShapes")
  void chunkedEqualsRecurrenceWithBoundaries(
      final DecayMode mode,
      final int len,
      final int dk,
      final int dv,
      final int chunk,
      final long seed) {
    final HeadRun run = HeadRun.random(mode, len, dk, dv, seed).withBoundaries(seed + 1000);
    final LinearAttentionReference.Result ref = run.reference();
    run.run(chunk);
    assertClose("o", ref.o(), run.o, fp32(ref.o()));
    assertClose("S_out", ref.sT(), run.sOut, fp32(ref.sT()));
    assertClose("dq", ref.dq(), run.dq, fp32(ref.dq()));
    assertClose("dk", ref.dk(), run.dkOut, fp32(ref.dk()));
    assertClose("dv", ref.dv(), run.dvOut, fp32(ref.dv()));
    assertClose("dS_in", ref.dsIn(), run.dsIn, fp32(ref.dsIn()));
    if (mode == DecayMode.GLA) {
      assertClose("dg", ref.dg(), run.dg, fp32(ref.dg()));
    }
  }

  @ParameterizedTest
  @EnumSource(DecayMode.class)
  void decoupledCorrectionEqualsBoundaryAwarePass(final DecayMode mode) {
    for (final int chunk : new int[] {1, 7, 16}) {
      final HeadRun aware = HeadRun.random(mode, 93, 12, 10, 77).withBoundaries(78).run(chunk);
      final HeadRun split = HeadRun.random(mode, 93, 12, 10, 77).withBoundaries(78);
      split.runDecoupled(chunk);
      final Tolerance tol = Tolerance.of(1e-5, 1e-4);
      assertClose("o", aware.o, split.o, tol);
      assertClose("S_out", aware.sOut, split.sOut, tol);
      assertClose("dq", aware.dq, split.dq, tol);
      assertClose("dk", aware.dkOut, split.dkOut, tol);
      assertClose("dv", aware.dvOut, split.dvOut, tol);
      assertClose("dS_in", aware.dsIn, split.dsIn, tol);
      if (mode == DecayMode.GLA) {
        assertClose("dg", aware.dg, split.dg, tol);
      }
    }
  }

  @Test
  void plainEqualsConstDecayOfOneEqualsGlaOfZero() {
    final HeadRun plain = HeadRun.random(DecayMode.PLAIN, 70, 8, 5, 5).withBoundaries(6);
    final HeadRun cnst =
        new HeadRun(DecayMode.CONST_DECAY, 70, 8, 5, plain.q, plain.k, plain.v, plain.dO, null, 0f);
    final HeadRun gla =
        new HeadRun(
            DecayMode.GLA, 70, 8, 5, plain.q, plain.k, plain.v, plain.dO, new float[70 * 8], 0f);
    for (final HeadRun r : List.of(cnst, gla)) {
      r.sIn = plain.sIn;
      r.dsOut = plain.dsOut;
    }
    plain.run(16);
    cnst.run(16);
    gla.run(16);
    final Tolerance tol = Tolerance.of(1e-6, 1e-5);
    for (final HeadRun r : List.of(cnst, gla)) {
      assertClose(r.mode + " o", plain.o, r.o, tol);
      assertClose(r.mode + " dq", plain.dq, r.dq, tol);
      assertClose(r.mode + " dk", plain.dkOut, r.dkOut, tol);
      assertClose(r.mode + " dv", plain.dvOut, r.dvOut, tol);
      assertClose(r.mode + " dS_in", plain.dsIn, r.dsIn, tol);
    }
  }

  @Test
  void constDecayEqualsGlaWithConstantLogGate() {
    final float logLambda = (float) Math.log(0.93);
    final HeadRun cnst = HeadRun.random(DecayMode.CONST_DECAY, 81, 6, 7, 9).withBoundaries(10);
    final HeadRun c2 =
        new HeadRun(
            DecayMode.CONST_DECAY, 81, 6, 7, cnst.q, cnst.k, cnst.v, cnst.dO, null, logLambda);
    final float[] g = new float[81 * 6];
    java.util.Arrays.fill(g, logLambda);
    final HeadRun gla =
        new HeadRun(DecayMode.GLA, 81, 6, 7, cnst.q, cnst.k, cnst.v, cnst.dO, g, 0f);
    c2.sIn = gla.sIn = cnst.sIn;
    c2.dsOut = gla.dsOut = cnst.dsOut;
    c2.run(16);
    gla.run(16);
    final Tolerance tol = Tolerance.of(1e-5, 1e-5);
    assertClose("o", c2.o, gla.o, tol);
    assertClose("dq", c2.dq, gla.dq, tol);
    assertClose("dk", c2.dkOut, gla.dkOut, tol);
    assertClose("dv", c2.dvOut, gla.dvOut, tol);
    assertClose("dS_in", c2.dsIn, gla.dsIn, tol);
  }

  @ParameterizedTest
  @EnumSource(DecayMode.class)
  void perturbingTokenTLeavesEarlierOutputsUnchanged(final DecayMode mode) {
    final int len = 50;
    final int dv = 4;
    final HeadRun base = HeadRun.random(mode, len, 8, dv, 21).run(16);
    for (final int t : new int[] {0, 13, 16, 31, 49}) {
      final HeadRun p = HeadRun.random(mode, len, 8, dv, 21);
      p.q[t * 8] += 1f;
      p.k[t * 8 + 1] -= 2f;
      p.v[t * dv] += 3f;
      if (p.g != null) {
        p.g[t * 8 + 2] -= 1f;
      }
      p.run(16);
      for (int i = 0; i < t * dv; i++) {
        assertEquals(base.o[i], p.o[i], 0f, "output before token " + t + " changed at " + i);
      }
      assertNotEquals(base.o[t * dv], p.o[t * dv], "perturbation of token " + t + " had no effect");
    }
  }

  @Test
  void gateGradientMatchesCentralFiniteDifferences() {
    // loss(g) = Σ dO ⊙ o + Σ dS_out ⊙ S_L, evaluated in float64 by the reference recurrence.
    final int len = 7;
    final int dk = 3;
    final int dv = 2;
    final HeadRun run = HeadRun.random(DecayMode.GLA, len, dk, dv, 33).withBoundaries(34).run(3);
    final double eps = 1e-6;
    final double[] fd = new double[len * dk];
    for (int i = 0; i < fd.length; i++) {
      final double[] gp = run.refGates();
      final double[] gm = run.refGates();
      gp[i] += eps;
      gm[i] -= eps;
      fd[i] = (loss(run, gp) - loss(run, gm)) / (2 * eps);
    }
    assertClose("dg vs finite differences", fd, run.dg, Tolerance.of(1e-5, 1e-5));
  }

  private static double loss(final HeadRun r, final double[] g) {
    final LinearAttentionReference.Result res =
        LinearAttentionReference.run(r.q, r.k, r.v, r.dO, g, r.sIn, r.dsOut, r.len, r.dk, r.dv);
    double l = 0;
    for (int i = 0; i < res.o().length; i++) {
      l += r.dO[i] * res.o()[i];
    }
    for (int i = 0; i < res.sT().length; i++) {
      l += r.dsOut[i] * res.sT()[i];
    }
    return l;
  }

  @ParameterizedTest
  @EnumSource(DecayMode.class)
  void backwardFromCachedForwardStatesIsBitIdenticalToRecompute(final DecayMode mode) {
    final HeadRun plain = HeadRun.random(mode, 150, 16, 8, 3).withBoundaries(4).run(32);
    final ChunkStates cache = new ChunkStates();
    final HeadRun cached = HeadRun.random(mode, 150, 16, 8, 3).withBoundaries(4).run(32, cache);
    assertArrayEquals(plain.dq, cached.dq);
    assertArrayEquals(plain.dkOut, cached.dkOut);
    assertArrayEquals(plain.dvOut, cached.dvOut);
    assertArrayEquals(plain.dg, cached.dg);
    assertArrayEquals(plain.dsIn, cached.dsIn);
  }

  @Test
  void emptySliceForwardsBoundaryStates() {
    final HeadRun r = HeadRun.random(DecayMode.GLA, 0, 4, 3, 1).withBoundaries(2).run(8);
    assertArrayEquals(r.sIn, r.sOut, 0f);
    assertArrayEquals(r.dsOut, r.dsIn, 0f);
  }

  @Test
  void strongGatesUnderflowToExactZeroWithoutNaN() {
    // g ≈ -20 per token: decays pass e^-87 within a chunk and must flush to 0, never NaN/Inf.
    final HeadRun r = HeadRun.random(DecayMode.GLA, 128, 8, 8, 3).withBoundaries(4);
    java.util.Arrays.fill(r.g, -20f);
    final LinearAttentionReference.Result ref = r.reference();
    r.run(64);
    assertClose("o", ref.o(), r.o, fp32(ref.o()));
    assertClose("dq", ref.dq(), r.dq, fp32(ref.dq()));
    assertClose("dk", ref.dk(), r.dkOut, fp32(ref.dk()));
    // The true dg is ~1e-9 here, while the chunk-local formula sums O(1) terms (q ⊙ dq) that
    // cancel: float32 leaves ~1e-7 absolute, so only an absolute bound (the oracle's floor) fits.
    assertClose("dg", ref.dg(), r.dg, Tolerance.maxAbs(1e-5));
    for (final float x : r.o) {
      if (!Float.isFinite(x)) {
        throw new AssertionError("non-finite output " + x);
      }
    }
  }
}
