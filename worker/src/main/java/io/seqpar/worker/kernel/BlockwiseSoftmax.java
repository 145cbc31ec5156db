package io.seqpar.worker.kernel;

import static io.seqpar.worker.kernel.Gemm.Tri.FULL;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal softmax attention of one head's query block against one key/value block, merged into
 * running {@code (out, lse)} accumulators (algorithms.md §3.1), and its backward from the global
 * {@code lse}. Ring attention and AllGather-KV call it once per (query piece, key piece) pair.
 *
 * <p>Key j (global position {@code kPos0 + j}) is visible to query i ({@code qPos0 + i}) iff {@code
 * kPos0 + j ≤ qPos0 + i} (diagonal included). Per tile of TQ queries × TK keys with scores {@code Z
 * = s·Q Kᵀ + mask}:
 *
 * <pre>
 *   forward   m = rowmax(Z); P = exp(Z − m); l = rowsum(P); o_b = (P V)/l; lse_b = m + ln l
 *             lse = max(lse_a, lse_b) + ln(1 + exp(−|lse_a − lse_b|))
 *             out = exp(lse_a − lse)·out_a + exp(lse_b − lse)·o_b
 *   backward  P = exp(Z − lse); dP = dO Vᵀ; dZ = P ⊙ (dP − D);  D = rowsum(dO ⊙ out)
 *             dQ += s·dZ K;  dK += s·dZᵀ Q;  dV += Pᵀ dO
 * </pre>
 *
 * Every exponential has a non-positive argument (the running max or the global lse is subtracted
 * first; {@code Z − lse} is clamped at 0 against rounding). A row with no visible key in a tile
 * contributes nothing; a row with none at all keeps {@code (out = 0, lse = −∞)} and gets zero
 * gradients ({@code −∞ − (−∞)} is never formed). Tiles wholly above the diagonal are skipped, tiles
 * wholly below it are not masked.
 *
 * <p>Tensors are row-major float32 segments addressed by float offsets: {@code q [m, dk]}, {@code k
 * [n, dk]}, {@code v [n, dv]}, {@code out, dO [m, dv]}, {@code lse, delta [m]}. Tiles are copied
 * into heap workspaces owned by this instance, so nothing is allocated per block or tile. Not
 * thread-safe: one instance per thread.
 */
public final class BlockwiseSoftmax {
  /** Query rows per tile. */
  public static final int TILE_Q = 64;

  /** Key rows per tile. */
  public static final int TILE_K = 128;

  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  private static final VectorSpecies<Float> S = Gemm.SPECIES;
  private static final int LANES = Gemm.LANES;

  private final int dk;
  private final int dv;
  private final float[] qt; // [TQ, dk] scaled queries
  private final float[] ot; // [TQ, dv] out accumulator / dO tile
  private final float[] lt; // [TQ] lse
  private final float[] dt; // [TQ] delta
  private final float[] dqt; // [TQ, dk]
  private final float[] kt; // [TK, dk]
  private final float[] ktT; // [dk, TK]
  private final float[] vt; // [TK, dv]
  private final float[] vtT; // [dv, TK]
  private final float[] dkt; // [TK, dk]
  private final float[] dvt; // [TK, dv]
  private final float[] z; // [TQ, TK] scores, then probabilities
  private final float[] dz; // [TQ, TK]
  private final float[] pv; // [TQ, dv]
  private final float[] rowMax = new float[TILE_Q];
  private final float[] rowSum = new float[TILE_Q];
  private Runnable progress;

  public BlockwiseSoftmax(final int dk, final int dv) {
    if (dk < 1 || dv < 1) {
      throw new IllegalArgumentException("dk=" + dk + " dv=" + dv + " (each must be >= 1)");
    }
    this.dk = dk;
    this.dv = dv;
    qt = new float[TILE_Q * dk];
    ot = new float[TILE_Q * dv];
    lt = new float[TILE_Q];
    dt = new float[TILE_Q];
    dqt = new float[TILE_Q * dk];
    kt = new float[TILE_K * dk];
    ktT = new float[dk * TILE_K];
    vt = new float[TILE_K * dv];
    vtT = new float[dv * TILE_K];
    dkt = new float[TILE_K * dk];
    dvt = new float[TILE_K * dv];
    z = new float[TILE_Q * TILE_K];
    dz = new float[TILE_Q * TILE_K];
    pv = new float[TILE_Q * dv];
  }

  /**
   * Called after every tile pair (null: none), so a collective in flight keeps moving while this
   * computes: the Communicator only advances when polled.
   */
  public void progress(final Runnable poll) {
    this.progress = poll;
  }

  /** {@code out = 0, lse = −∞} for {@code m} rows: the identity of the merge. */
  public static void initAccumulators(
      final MemorySegment out,
      final long outOff,
      final MemorySegment lse,
      final long lseOff,
      final int m,
      final int dv) {
    out.asSlice(outOff * Float.BYTES, (long) m * dv * Float.BYTES).fill((byte) 0);
    for (int i = 0; i < m; i++) {
      lse.setAtIndex(F, lseOff + i, Float.NEGATIVE_INFINITY);
    }
  }

  /** {@code delta[i] = Σ_c dO[i,c]·out[i,c]} for {@code m} rows (=). */
  public static void delta(
      final MemorySegment delta,
      final long deltaOff,
      final MemorySegment dO,
      final long dOOff,
      final MemorySegment out,
      final long outOff,
      final int m,
      final int dv) {
    for (int i = 0; i < m; i++) {
      float s = 0f;
      for (int c = 0; c < dv; c++) {
        final long x = (long) i * dv + c;
        s = Math.fma(dO.getAtIndex(F, dOOff + x), out.getAtIndex(F, outOff + x), s);
      }
      delta.setAtIndex(F, deltaOff + i, s);
    }
  }

  /**
   * Merges {@code (out_b, lse_b)} into {@code (out_a, lse_a)} for one row (§3.1), in place in
   * {@code outA[aOff, aOff+dv)} and returning the new lse. Either side may be empty (lse = −∞).
   */
  public static float mergeRow(
      final float[] outA,
      final int aOff,
      final float lseA,
      final float[] outB,
      final int bOff,
      final float lseB,
      final int dv) {
    if (lseB == Float.NEGATIVE_INFINITY) {
      return lseA;
    }
    if (lseA == Float.NEGATIVE_INFINITY) {
      System.arraycopy(outB, bOff, outA, aOff, dv);
      return lseB;
    }
    final float hi = Math.max(lseA, lseB);
    final float lse = hi + (float) Math.log1p(Math.exp(-Math.abs(lseA - lseB)));
    final float wa = (float) Math.exp(lseA - lse); // both ≤ 0
    final float wb = (float) Math.exp(lseB - lse);
    for (int c = 0; c < dv; c++) {
      outA[aOff + c] = wa * outA[aOff + c] + wb * outB[bOff + c];
    }
    return lse;
  }

  // ---------------------------------------------------------------------------------- forward

  /**
   * Merges {@code softmax(s·q kᵀ + mask) v} into the accumulators of {@code m} query rows.
   *
   * @param out {@code [m, dv]} at {@code outOff} (merged in place)
   * @param lse {@code [m]} at {@code lseOff} (merged in place)
   * @param q {@code [m, dk]} at {@code qOff}, global positions {@code qPos0 ..}
   * @param k {@code [n, dk]} at {@code kOff}, global positions {@code kPos0 ..}
   * @param v {@code [n, dv]} at {@code vOff}
   * @param scale score scale s
   */
  public void forward(
      final MemorySegment out,
      final long outOff,
      final MemorySegment lse,
      final long lseOff,
      final MemorySegment q,
      final long qOff,
      final int m,
      final long qPos0,
      final MemorySegment k,
      final long kOff,
      final MemorySegment v,
      final long vOff,
      final int n,
      final long kPos0,
      final float scale) {
    if (m == 0 || n == 0 || kPos0 > qPos0 + m - 1) {
      return; // nothing visible
    }
    for (int i0 = 0; i0 < m; i0 += TILE_Q) {
      final int mt = Math.min(TILE_Q, m - i0);
      final long qp = qPos0 + i0;
      if (kPos0 > qp + mt - 1) {
        continue; // this tile sees no key yet (later tiles sit further right)
      }
      loadScaled(qt, q, qOff + (long) i0 * dk, mt * dk, scale);
      MemorySegment.copy(out, F, (outOff + (long) i0 * dv) * Float.BYTES, ot, 0, mt * dv);
      MemorySegment.copy(lse, F, (lseOff + i0) * Float.BYTES, lt, 0, mt);
      for (int j0 = 0; j0 < n; j0 += TILE_K) {
        final int nt = Math.min(TILE_K, n - j0);
        final long kp = kPos0 + j0;
        if (kp > qp + mt - 1) {
          break; // keys only move further right
        }
        MemorySegment.copy(k, F, (kOff + (long) j0 * dk) * Float.BYTES, kt, 0, nt * dk);
        MemorySegment.copy(v, F, (vOff + (long) j0 * dv) * Float.BYTES, vt, 0, nt * dv);
        Gemm.transpose(ktT, kt, 0, dk, nt, dk);
        // Z = (s·Q) Kᵀ   [mt, nt], leading dimension nt
        Gemm.mul(z, 0, nt, qt, 0, dk, ktT, 0, nt, mt, nt, dk, false, FULL);
        final boolean partial = kp + nt - 1 > qp;
        if (partial) {
          mask(z, nt, mt, qp, kp);
        }
        // P = exp(Z − m) per row; l = rowsum(P)
        for (int i = 0; i < mt; i++) {
          final float mx = rowMax(z, i * nt, nt);
          rowMax[i] = mx;
          rowSum[i] = mx == Float.NEGATIVE_INFINITY ? 0f : expShifted(z, i * nt, nt, mx);
        }
        // o_b = P V (unnormalised), then merge row by row
        Gemm.mul(pv, 0, dv, z, 0, nt, vt, 0, dv, mt, dv, nt, false, FULL);
        for (int i = 0; i < mt; i++) {
          if (rowSum[i] == 0f) {
            continue; // no visible key in this tile
          }
          final float inv = 1f / rowSum[i];
          for (int c = 0; c < dv; c++) {
            pv[i * dv + c] *= inv;
          }
          final float lseB = rowMax[i] + (float) Math.log(rowSum[i]);
          lt[i] = mergeRow(ot, i * dv, lt[i], pv, i * dv, lseB, dv);
        }
        poll();
      }
      MemorySegment.copy(ot, 0, out, F, (outOff + (long) i0 * dv) * Float.BYTES, mt * dv);
      MemorySegment.copy(lt, 0, lse, F, (lseOff + i0) * Float.BYTES, mt);
    }
  }

  // --------------------------------------------------------------------------------- backward

  /**
   * Gradients of {@code Σ dO ⊙ out} through this block, from the global {@code lse} and {@code
   * delta = rowsum(dO ⊙ out)}. Accumulates ({@code +=}) into {@code dq [m, dk]}, {@code dk [n, dk]}
   * and {@code dv [n, dv]}.
   */
  public void backward(
      final MemorySegment dq,
      final long dqOff,
      final MemorySegment dkOut,
      final long dkOff,
      final MemorySegment dvOut,
      final long dvOff,
      final MemorySegment dO,
      final long dOOff,
      final MemorySegment lse,
      final long lseOff,
      final MemorySegment delta,
      final long deltaOff,
      final MemorySegment q,
      final long qOff,
      final int m,
      final long qPos0,
      final MemorySegment k,
      final long kOff,
      final MemorySegment v,
      final long vOff,
      final int n,
      final long kPos0,
      final float scale) {
    if (m == 0 || n == 0 || kPos0 > qPos0 + m - 1) {
      return;
    }
    for (int i0 = 0; i0 < m; i0 += TILE_Q) {
      final int mt = Math.min(TILE_Q, m - i0);
      final long qp = qPos0 + i0;
      if (kPos0 > qp + mt - 1) {
        continue;
      }
      loadScaled(qt, q, qOff + (long) i0 * dk, mt * dk, scale);
      MemorySegment.copy(dO, F, (dOOff + (long) i0 * dv) * Float.BYTES, ot, 0, mt * dv);
      MemorySegment.copy(lse, F, (lseOff + i0) * Float.BYTES, lt, 0, mt);
      MemorySegment.copy(delta, F, (deltaOff + i0) * Float.BYTES, dt, 0, mt);
      java.util.Arrays.fill(dqt, 0, mt * dk, 0f);
      for (int j0 = 0; j0 < n; j0 += TILE_K) {
        final int nt = Math.min(TILE_K, n - j0);
        final long kp = kPos0 + j0;
        if (kp > qp + mt - 1) {
          break;
        }
        MemorySegment.copy(k, F, (kOff + (long) j0 * dk) * Float.BYTES, kt, 0, nt * dk);
        MemorySegment.copy(v, F, (vOff + (long) j0 * dv) * Float.BYTES, vt, 0, nt * dv);
        Gemm.transpose(ktT, kt, 0, dk, nt, dk);
        Gemm.transpose(vtT, vt, 0, dv, nt, dv);
        // Z = (s·Q) Kᵀ; P = exp(min(Z − lse, 0)), masked
        Gemm.mul(z, 0, nt, qt, 0, dk, ktT, 0, nt, mt, nt, dk, false, FULL);
        if (kp + nt - 1 > qp) {
          mask(z, nt, mt, qp, kp);
        }
        for (int i = 0; i < mt; i++) {
          probabilities(z, i * nt, nt, lt[i]);
        }
        // dP = dO Vᵀ; dZ = P ⊙ (dP − D)
        Gemm.mul(dz, 0, nt, ot, 0, dv, vtT, 0, nt, mt, nt, dv, false, FULL);
        for (int i = 0; i < mt; i++) {
          final float d = dt[i];
          final int r = i * nt;
          for (int j = 0; j < nt; j++) {
            dz[r + j] = z[r + j] * (dz[r + j] - d);
          }
        }
        // dQ += dZ K (scaled by s below);  dK += dZᵀ (s·Q);  dV += Pᵀ dO
        Gemm.mul(dqt, 0, dk, dz, 0, nt, kt, 0, dk, mt, dk, nt, true, FULL);
        final long dkAt = (dkOff + (long) j0 * dk) * Float.BYTES;
        final long dvAt = (dvOff + (long) j0 * dv) * Float.BYTES;
        MemorySegment.copy(dkOut, F, dkAt, dkt, 0, nt * dk);
        MemorySegment.copy(dvOut, F, dvAt, dvt, 0, nt * dv);
        Gemm.mulTransA(dkt, 0, dk, dz, 0, nt, qt, 0, dk, nt, dk, mt, true, FULL);
        Gemm.mulTransA(dvt, 0, dv, z, 0, nt, ot, 0, dv, nt, dv, mt, true, FULL);
        MemorySegment.copy(dkt, 0, dkOut, F, dkAt, nt * dk);
        MemorySegment.copy(dvt, 0, dvOut, F, dvAt, nt * dv);
        poll();
      }
      final long dqAt = dqOff + (long) i0 * dk;
      for (int x = 0; x < mt * dk; x++) {
        dq.setAtIndex(F, dqAt + x, dq.getAtIndex(F, dqAt + x) + scale * dqt[x]);
      }
    }
  }

  // ---------------------------------------------------------------------------------- helpers

  private void poll() {
    if (progress != null) {
      progress.run();
    }
  }

  private static void loadScaled(
      final float[] dst, final MemorySegment src, final long off, final int count, final float s) {
    MemorySegment.copy(src, F, off * Float.BYTES, dst, 0, count);
    for (int x = 0; x < count; x++) {
      dst[x] *= s;
    }
  }

  /** Z[i, j] = −∞ where key position kp+j is right of query position qp+i. */
  private static void mask(
      final float[] z, final int nt, final int mt, final long qp, final long kp) {
    for (int i = 0; i < mt; i++) {
      // visible j: kp + j <= qp + i  ⇔  j <= qp + i − kp
      final long last = qp + i - kp;
      final int from = (int) Math.max(0, Math.min(nt, last + 1));
      java.util.Arrays.fill(z, i * nt + from, i * nt + nt, Float.NEGATIVE_INFINITY);
    }
  }

  private static float rowMax(final float[] z, final int off, final int n) {
    float mx = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < n; j++) {
      mx = Math.max(mx, z[off + j]);
    }
    return mx;
  }

  /** z[off..off+n) = exp(z − shift) (all arguments ≤ 0; −∞ → 0); returns their sum. */
  private static float expShifted(final float[] z, final int off, final int n, final float shift) {
    float sum = 0f;
    int j = 0;
    if (n >= LANES) {
      FloatVector acc = FloatVector.zero(S);
      for (; j + LANES <= n; j += LANES) {
        final FloatVector e =
            VectorExp.expNonPositive(FloatVector.fromArray(S, z, off + j).sub(shift));
        e.intoArray(z, off + j);
        acc = acc.add(e);
      }
      sum = acc.reduceLanes(VectorOperators.ADD);
    }
    for (; j < n; j++) {
      final float e = (float) Math.exp(z[off + j] - shift);
      z[off + j] = e;
      sum += e;
    }
    return sum;
  }

  /** z = exp(min(z − lse, 0)); a row that saw no key at all (lse = −∞) gets zeros. */
  private static void probabilities(final float[] z, final int off, final int n, final float lse) {
    if (lse == Float.NEGATIVE_INFINITY) {
      java.util.Arrays.fill(z, off, off + n, 0f);
      return;
    }
    int j = 0;
    for (; j + LANES <= n; j += LANES) {
      final FloatVector x = FloatVector.fromArray(S, z, off + j).sub(lse).min(0f);
      VectorExp.expNonPositive(x).intoArray(z, off + j);
    }
    for (; j < n; j++) {
      z[off + j] = (float) Math.exp(Math.min(z[off + j] - lse, 0f));
    }
  }
}
