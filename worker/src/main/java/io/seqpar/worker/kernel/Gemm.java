package io.seqpar.worker.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small single-threaded float32 matrix products on row-major heap arrays, the building block of the
 * chunk kernels. Sizes are chunk-scale (tens to a few hundred), so there is no cache blocking: the
 * operands of one chunk fit in L1/L2. The micro-kernel keeps a 4-row × 2-vector tile of C in
 * registers (8 accumulators, 2 loads, 4 broadcasts: 14 of AVX2's 16 ymm registers) and streams rows
 * of B.
 *
 * <p>{@link Tri} lets causal products skip the half of the work that the mask zeroes:
 *
 * <ul>
 *   <li>{@code A_LOWER}: A[i,p] = 0 for p &gt; i, so row i only reads p ≤ i;
 *   <li>{@code A_UPPER}: A[i,p] = 0 for p &lt; i, so row i only reads p ≥ i;
 *   <li>{@code C_LOWER}: only C[i,j] with j ≤ i is wanted. Tiles wholly above the diagonal are
 *       skipped and tiles crossing it are computed whole, so the caller must mask C afterwards.
 * </ul>
 *
 * Every product accumulates in float32 (FMA). Nothing here allocates.
 */
final class Gemm {
  static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  static final int LANES = SPECIES.length();

  /** Which triangle of an operand is known to be zero, or which part of C is wanted. */
  enum Tri {
    FULL,
    A_LOWER,
    A_UPPER,
    C_LOWER
  }

  private Gemm() {}

  /**
   * {@code C[m×n] (+)= A[m×k] · B[k×n]}.
   *
   * @param accumulate add into C when true, overwrite when false
   */
  static void mul(
      final float[] c,
      final int cOff,
      final int ldc,
      final float[] a,
      final int aOff,
      final int lda,
      final float[] b,
      final int bOff,
      final int ldb,
      final int m,
      final int n,
      final int k,
      final boolean accumulate,
      final Tri tri) {
    mul(c, cOff, ldc, a, aOff, lda, 1, b, bOff, ldb, m, n, k, accumulate, tri);
  }

  /**
   * {@code C[m×n] (+)= Aᵀ · B[k×n]} with A stored {@code [k×m]}: the broadcast operand is read
   * along A's rows, so no transpose is materialised. {@link Tri} refers to the logical {@code Aᵀ}.
   */
  static void mulTransA(
      final float[] c,
      final int cOff,
      final int ldc,
      final float[] a,
      final int aOff,
      final int lda,
      final float[] b,
      final int bOff,
      final int ldb,
      final int m,
      final int n,
      final int k,
      final boolean accumulate,
      final Tri tri) {
    mul(c, cOff, ldc, a, aOff, 1, lda, b, bOff, ldb, m, n, k, accumulate, tri);
  }

  /** op(A)[i,p] = a[aOff + i·rs + p·cs]. */
  private static void mul(
      final float[] c,
      final int cOff,
      final int ldc,
      final float[] a,
      final int aOff,
      final int rs,
      final int cs,
      final float[] b,
      final int bOff,
      final int ldb,
      final int m,
      final int n,
      final int k,
      final boolean accumulate,
      final Tri tri) {
    if (!accumulate) {
      // Overwrite = zero, then accumulate: the kernels then never choose between loading C and a
      // zero vector. That choice is a vector-valued branch; once C2 has seen both sides it merges
      // them through a phi and stops eliminating vector boxes, and every FMA allocates.
      for (int i = 0; i < m; i++) {
        java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
      }
    }
    int i0 = 0;
    for (; i0 + 4 <= m; i0 += 4) {
      final int pLo = tri == Tri.A_UPPER ? i0 : 0;
      final int pHi = tri == Tri.A_LOWER ? Math.min(k, i0 + 4) : k;
      final int jHi = tri == Tri.C_LOWER ? Math.min(n, roundUp(i0 + 4)) : n;
      rows4(c, cOff + i0 * ldc, ldc, a, aOff + i0 * rs, rs, cs, b, bOff, ldb, jHi, pLo, pHi);
    }
    for (; i0 < m; i0++) {
      final int pLo = tri == Tri.A_UPPER ? i0 : 0;
      final int pHi = tri == Tri.A_LOWER ? Math.min(k, i0 + 1) : k;
      row1(c, cOff + i0 * ldc, a, aOff + i0 * rs, cs, b, bOff, ldb, n, pLo, pHi);
    }
  }

  /** Four rows of C, columns [0, n), summing p over [pLo, pHi). */
  private static void rows4(
      final float[] c,
      final int c0,
      final int ldc,
      final float[] a,
      final int a0,
      final int rs,
      final int cs,
      final float[] b,
      final int bOff,
      final int ldb,
      final int n,
      final int pLo,
      final int pHi) {
    final int c1 = c0 + ldc;
    final int c2 = c1 + ldc;
    final int c3 = c2 + ldc;
    final int a1 = a0 + rs;
    final int a2 = a1 + rs;
    final int a3 = a2 + rs;
    int j = 0;
    for (; j + 2 * LANES <= n; j += 2 * LANES) {
      final int jb = j + LANES;
      FloatVector x00 = FloatVector.fromArray(SPECIES, c, c0 + j);
      FloatVector x01 = FloatVector.fromArray(SPECIES, c, c0 + jb);
      FloatVector x10 = FloatVector.fromArray(SPECIES, c, c1 + j);
      FloatVector x11 = FloatVector.fromArray(SPECIES, c, c1 + jb);
      FloatVector x20 = FloatVector.fromArray(SPECIES, c, c2 + j);
      FloatVector x21 = FloatVector.fromArray(SPECIES, c, c2 + jb);
      FloatVector x30 = FloatVector.fromArray(SPECIES, c, c3 + j);
      FloatVector x31 = FloatVector.fromArray(SPECIES, c, c3 + jb);
      for (int p = pLo; p < pHi; p++) {
        final int bp = bOff + p * ldb + j;
        final int ap = p * cs;
        final FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp);
        final FloatVector b1 = FloatVector.fromArray(SPECIES, b, bp + LANES);
        final FloatVector v0 = FloatVector.broadcast(SPECIES, a[a0 + ap]);
        x00 = b0.fma(v0, x00);
        x01 = b1.fma(v0, x01);
        final FloatVector v1 = FloatVector.broadcast(SPECIES, a[a1 + ap]);
        x10 = b0.fma(v1, x10);
        x11 = b1.fma(v1, x11);
        final FloatVector v2 = FloatVector.broadcast(SPECIES, a[a2 + ap]);
        x20 = b0.fma(v2, x20);
        x21 = b1.fma(v2, x21);
        final FloatVector v3 = FloatVector.broadcast(SPECIES, a[a3 + ap]);
        x30 = b0.fma(v3, x30);
        x31 = b1.fma(v3, x31);
      }
      x00.intoArray(c, c0 + j);
      x01.intoArray(c, c0 + jb);
      x10.intoArray(c, c1 + j);
      x11.intoArray(c, c1 + jb);
      x20.intoArray(c, c2 + j);
      x21.intoArray(c, c2 + jb);
      x30.intoArray(c, c3 + j);
      x31.intoArray(c, c3 + jb);
    }
    for (; j + LANES <= n; j += LANES) {
      FloatVector x0 = FloatVector.fromArray(SPECIES, c, c0 + j);
      FloatVector x1 = FloatVector.fromArray(SPECIES, c, c1 + j);
      FloatVector x2 = FloatVector.fromArray(SPECIES, c, c2 + j);
      FloatVector x3 = FloatVector.fromArray(SPECIES, c, c3 + j);
      for (int p = pLo; p < pHi; p++) {
        final FloatVector bv = FloatVector.fromArray(SPECIES, b, bOff + p * ldb + j);
        final int ap = p * cs;
        x0 = bv.fma(FloatVector.broadcast(SPECIES, a[a0 + ap]), x0);
        x1 = bv.fma(FloatVector.broadcast(SPECIES, a[a1 + ap]), x1);
        x2 = bv.fma(FloatVector.broadcast(SPECIES, a[a2 + ap]), x2);
        x3 = bv.fma(FloatVector.broadcast(SPECIES, a[a3 + ap]), x3);
      }
      x0.intoArray(c, c0 + j);
      x1.intoArray(c, c1 + j);
      x2.intoArray(c, c2 + j);
      x3.intoArray(c, c3 + j);
    }
    for (; j < n; j++) {
      float s0 = c[c0 + j];
      float s1 = c[c1 + j];
      float s2 = c[c2 + j];
      float s3 = c[c3 + j];
      for (int p = pLo; p < pHi; p++) {
        final float bv = b[bOff + p * ldb + j];
        final int ap = p * cs;
        s0 = Math.fma(a[a0 + ap], bv, s0);
        s1 = Math.fma(a[a1 + ap], bv, s1);
        s2 = Math.fma(a[a2 + ap], bv, s2);
        s3 = Math.fma(a[a3 + ap], bv, s3);
      }
      c[c0 + j] = s0;
      c[c1 + j] = s1;
      c[c2 + j] = s2;
      c[c3 + j] = s3;
    }
  }

  /** One row of C, columns [0, n), summing p over [pLo, pHi). */
  private static void row1(
      final float[] c,
      final int c0,
      final float[] a,
      final int a0,
      final int cs,
      final float[] b,
      final int bOff,
      final int ldb,
      final int n,
      final int pLo,
      final int pHi) {
    int j = 0;
    for (; j + LANES <= n; j += LANES) {
      FloatVector x = FloatVector.fromArray(SPECIES, c, c0 + j);
      for (int p = pLo; p < pHi; p++) {
        x =
            FloatVector.fromArray(SPECIES, b, bOff + p * ldb + j)
                .fma(FloatVector.broadcast(SPECIES, a[a0 + p * cs]), x);
      }
      x.intoArray(c, c0 + j);
    }
    for (; j < n; j++) {
      float s = c[c0 + j];
      for (int p = pLo; p < pHi; p++) {
        s = Math.fma(a[a0 + p * cs], b[bOff + p * ldb + j], s);
      }
      c[c0 + j] = s;
    }
  }

  /** {@code dst[cols×rows] = src[rows×cols]ᵀ}, {@code src} with leading dimension {@code ld}. */
  static void transpose(
      final float[] dst,
      final float[] src,
      final int srcOff,
      final int ld,
      final int rows,
      final int cols) {
    for (int i = 0; i < rows; i++) {
      final int s = srcOff + i * ld;
      for (int j = 0; j < cols; j++) {
        dst[j * rows + i] = src[s + j];
      }
    }
  }

  private static int roundUp(final int n) {
    return (n + LANES - 1) / LANES * LANES;
  }
}
