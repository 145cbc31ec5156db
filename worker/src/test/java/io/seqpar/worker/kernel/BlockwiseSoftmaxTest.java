package io.seqpar.worker.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The (out, lse) merge of algorithms.md §3.1: exact (partials over disjoint key sets merge to the
 * full attention), associative and order-independent, with the empty partial (lse = −∞) as its
 * identity; rows that see no key keep (0, −∞) and get zero gradients.
 */
class BlockwiseSoftmaxTest {
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  private static final int M = 5;
  private static final int N = 3 * 70; // three key sets of 70 (crossing a 128-key tile)
  private static final int DK = 16;
  private static final int DV = 24;

  private final Arena arena = Arena.ofAuto();
  private final Random rng = new Random(9);
  private final MemorySegment q = random(M * DK);
  private final MemorySegment k = random(N * DK);
  private final MemorySegment v = random(N * DV);

  /** Attention of the M queries (positions far right: no mask) over keys [from, from+n). */
  private float[][] partial(final int from, final int n) {
    final BlockwiseSoftmax kernel = new BlockwiseSoftmax(DK, DV);
    final MemorySegment out = arena.allocate((long) M * DV * 4);
    final MemorySegment lse = arena.allocate(M * 4L);
    BlockwiseSoftmax.initAccumulators(out, 0, lse, 0, M, DV);
    kernel.forward(
        out, 0, lse, 0, q, 0, M, 10_000, k, (long) from * DK, v, (long) from * DV, n, from, 0.25f);
    return new float[][] {out.toArray(F), lse.toArray(F)};
  }

  private static float[][] merge(final float[][] a, final float[][] b) {
    final float[] out = a[0].clone();
    final float[] lse = a[1].clone();
    for (int i = 0; i < M; i++) {
      lse[i] = BlockwiseSoftmax.mergeRow(out, i * DV, lse[i], b[0], i * DV, b[1][i], DV);
    }
    return new float[][] {out, lse};
  }

  @Test
  void mergeOfDisjointKeySetsIsExactAssociativeAndOrderIndependent() {
    final float[][] a = partial(0, 70);
    final float[][] b = partial(70, 70);
    final float[][] c = partial(140, 70);
    final float[][] whole = partial(0, N);
    final float[][][] orders = {
      merge(merge(a, b), c), // (a ⊕ b) ⊕ c
      merge(a, merge(b, c)), // a ⊕ (b ⊕ c)
      merge(merge(c, a), b),
      merge(merge(b, c), a),
      merge(c, merge(b, a)),
    };
    for (final float[][] r : orders) {
      assertClose(whole[0], r[0], 2e-6);
      assertClose(whole[1], r[1], 2e-6);
    }
  }

  @Test
  void emptyPartialIsTheIdentity() {
    final float[][] a = partial(0, 70);
    final float[][] empty = {new float[M * DV], new float[M]};
    java.util.Arrays.fill(empty[1], Float.NEGATIVE_INFINITY);
    assertThat(merge(a, empty)[0]).containsExactly(a[0]);
    assertThat(merge(empty, a)[0]).containsExactly(a[0]);
    assertThat(merge(empty, a)[1]).containsExactly(a[1]);
    assertThat(merge(empty, empty)[1]).containsOnly(Float.NEGATIVE_INFINITY);
  }

  @Test
  void rowsThatSeeNoKeyKeepZeroOutputAndGetZeroGradients() {
    final BlockwiseSoftmax kernel = new BlockwiseSoftmax(DK, DV);
    final MemorySegment out = arena.allocate((long) M * DV * 4);
    final MemorySegment lse = arena.allocate(M * 4L);
    BlockwiseSoftmax.initAccumulators(out, 0, lse, 0, M, DV);
    // queries at positions 0..4, keys at 3..: rows 0..2 see nothing, rows 3, 4 see 1 and 2 keys
    kernel.forward(out, 0, lse, 0, q, 0, M, 0, k, 0, v, 0, 20, 3, 0.25f);
    final float[] l = lse.toArray(F);
    final float[] o = out.toArray(F);
    for (int i = 0; i < 3; i++) {
      assertThat(l[i]).isEqualTo(Float.NEGATIVE_INFINITY);
      for (int c = 0; c < DV; c++) {
        assertThat(o[i * DV + c]).isZero();
      }
    }
    // row 3 sees exactly key 0 (position 3): its output is v_0
    for (int c = 0; c < DV; c++) {
      assertThat(o[3 * DV + c]).isEqualTo(v.getAtIndex(F, c));
    }
    assertThat(l[3]).isFinite();
    final MemorySegment dO = random(M * DV);
    final MemorySegment delta = arena.allocate(M * 4L);
    BlockwiseSoftmax.delta(delta, 0, dO, 0, out, 0, M, DV);
    final MemorySegment dq = arena.allocate((long) M * DK * 4);
    final MemorySegment dk = arena.allocate(20L * DK * 4);
    final MemorySegment dv = arena.allocate(20L * DV * 4);
    kernel.backward(
        dq, 0, dk, 0, dv, 0, dO, 0, lse, 0, delta, 0, q, 0, M, 0, k, 0, v, 0, 20, 3, 0.25f);
    final float[] g = dq.toArray(F);
    for (int x = 0; x < 3 * DK; x++) {
      assertThat(g[x]).as("dq of a row with no key").isZero();
    }
    for (final float x : dq.toArray(F)) {
      assertThat(x).isFinite();
    }
    // keys 2.. are seen by no query: zero dk, dv
    final float[] gk = dk.toArray(F);
    for (int x = 2 * DK; x < gk.length; x++) {
      assertThat(gk[x]).isZero();
    }
  }

  @Test
  void extremeScoresNeverOverflow() {
    final BlockwiseSoftmax kernel = new BlockwiseSoftmax(DK, DV);
    final MemorySegment big = arena.allocate((long) M * DK * 4);
    for (int i = 0; i < M * DK; i++) {
      big.setAtIndex(F, i, 60f * q.getAtIndex(F, i)); // scores in the thousands
    }
    final MemorySegment out = arena.allocate((long) M * DV * 4);
    final MemorySegment lse = arena.allocate(M * 4L);
    BlockwiseSoftmax.initAccumulators(out, 0, lse, 0, M, DV);
    kernel.forward(out, 0, lse, 0, big, 0, M, 10_000, k, 0, v, 0, N, 0, 1f);
    for (final float x : out.toArray(F)) {
      assertThat(x).isFinite();
    }
    for (final float x : lse.toArray(F)) {
      assertThat(x).isFinite();
    }
  }

  private MemorySegment random(final int n) {
    final MemorySegment s = arena.allocate(n * 4L);
    for (int i = 0; i < n; i++) {
      s.setAtIndex(F, i, (float) rng.nextGaussian());
    }
    return s;
  }

  private static void assertClose(final float[] exp, final float[] got, final double rel) {
    double d2 = 0;
    double e2 = 0;
    for (int i = 0; i < exp.length; i++) {
      d2 += (exp[i] - got[i]) * (double) (exp[i] - got[i]);
      e2 += exp[i] * (double) exp[i];
    }
    assertThat(Math.sqrt(d2 / e2)).isLessThanOrEqualTo(rel);
  }
}
