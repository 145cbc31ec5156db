package io.seqpar.worker.kernel;

import static io.seqpar.worker.kernel.Gemm.Tri.A_LOWER;
import static io.seqpar.worker.kernel.Gemm.Tri.A_UPPER;
import static io.seqpar.worker.kernel.Gemm.Tri.C_LOWER;
import static io.seqpar.worker.kernel.Gemm.Tri.FULL;

import io.seqpar.collectives.ScanOperator;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Chunkwise causal linear attention for one head (algorithms.md §1–§2.3): forward, backward, the
 * per-slice summaries sequence parallelism exchanges, and the decoupled boundary corrections.
 *
 * <p>The operator is exactly the recurrence, with no score scaling:
 *
 * <pre>
 *   S_t = diag(a_t) S_{t-1} + k_tᵀ v_t        S_0 = S_in (zero if absent)
 *   o_t = q_t S_t
 * </pre>
 *
 * Per chunk of C rows with inclusive cumulative log gate {@code b_r} (§1.1) and state {@code S}
 * entering the chunk:
 *
 * <pre>
 *   Q̂[r] = q_r ⊙ exp(b_r)      K̃[j] = k_j ⊙ exp(b_C − b_j)      γ = exp(b_C)
 *   A[r,j] = Σ_i q_ri k_ji exp(b_ri − b_ji)   (j ≤ r)
 *   O = Q̂ S + A V              S ← diag(γ) S + K̃ᵀ V
 * </pre>
 *
 * Backward (§1.3), walking chunks in reverse with {@code dH} the gradient of the chunk's end state:
 *
 * <pre>
 *   dA = dO Vᵀ (j ≤ r)
 *   dQ[r] = exp(b_r) ⊙ (dO_r Sᵀ) + Σ_j dA[r,j] (k_j ⊙ exp(b_r − b_j))
 *   dK[j] = exp(b_C − b_j) ⊙ (v_j dHᵀ) + Σ_r dA[r,j] (q_r ⊙ exp(b_r − b_j))
 *   dV[j] = K̃[j] dH + Σ_r A[r,j] dO_r
 *   dg_t  = Σ_{u ≥ t in chunk} (q_u ⊙ dq_u − k_u ⊙ dk_u) + rowsum(S_end ⊙ dH)      (GLA)
 *   dH    ← diag(γ) dH + Q̂ᵀ dO
 * </pre>
 *
 * Numerics: float32 storage and accumulation; gates in log space; every exponential is of a
 * non-positive argument ({@code b_r − b_j} with r ≥ j, {@code b_C − b_j}, {@code b_r}), and factors
 * below {@code e^-87} are flushed to exact zero. For plain and constant decay the intra term is two
 * GEMMs with a precomputed C×C decay mask; for GLA, where the mask differs per key dim, it is
 * computed entrywise over key-dim vectors (FLA's option (i)).
 *
 * <p>Tensors for one head arrive as segments of row-major float32: {@code q,k,g: [L, dk]}, {@code
 * v,o,dO: [L, dv]}, states {@code [dk, dv]}. Each call packs one chunk at a time into heap
 * workspaces owned by this instance, so the loops allocate nothing per chunk. Not thread-safe: use
 * one instance per thread.
 */
public final class ChunkedLinearAttention {
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  private static final VectorSpecies<Float> S = Gemm.SPECIES;
  private static final int LANES = Gemm.LANES;
  private static final float FLOOR = ScanOperator.LOG_DECAY_FLOOR;

  private final DecayMode mode;
  private final int chunk;
  private final int dk;
  private final int dv;

  // Packed chunk operands (row-major, c rows).
  private final float[] qc;
  private final float[] kc;
  private final float[] vc;
  private final float[] doc;
  private final float[] bc; // GLA: inclusive cumulative log gates within the chunk [c, dk]
  private final float[] qhat;
  private final float[] ktil;
  // Chunk results.
  private final float[] outc;
  private final float[] dqc;
  private final float[] dkc;
  private final float[] dvc;
  private final float[] dgc;
  // C×C score matrices and their scratch.
  private final float[] a;
  private final float[] da;
  private final float[] sq; // transposes and small products, max(C*C, C*dk, C*dv, dk*dv)
  private final float[] sq2;
  // States.
  private final float[] state;
  private final float[] dh;
  // Decay factors.
  private final float[] qdec; // CONST: exp((r+1) ln λ)
  private final float[] kdec; // CONST: exp((c-1-j) ln λ)
  private final float[] mask; // [c, c]: exp((r-j) ln λ) for j ≤ r, else 0 (plain: 1/0)
  private final float[] gammaVec; // GLA: exp(b_C) per key dim
  private final float[] rowSum; // [dk]
  private final double[] suffixRun; // [dk], dg suffix sums of the corrections
  private float gammaScalar;
  private final float[] laneScratch = new float[LANES];
  private final float[] expRow; // GLA: [c, dk], exp(b_r − b_j) for the current query row r
  private Runnable progress;
  private int maskChunk = -1;
  private float maskLogLambda = Float.NaN;
  // Chunk-boundary states for backward, grown on demand (not per chunk).
  private float[] ownStates = new float[0];
  private float[] states; // the active chunk states of the current backward call
  private float[] cachedScores; // forward's A per chunk (plain/const), or null: recompute
  // Decoupled-correction scratch, [L, dk], grown on demand.
  private float[] corr = new float[0];

  /**
   * @param mode decay mode
   * @param chunk chunk size C ≥ 1; the last chunk of a slice may be shorter
   * @param dk key/query head dim
   * @param dv value head dim
   */
  public ChunkedLinearAttention(final DecayMode mode, final int chunk, final int dk, final int dv) {
    if (chunk < 1 || dk < 1 || dv < 1) {
      throw new IllegalArgumentException(
          "chunk=" + chunk + " dk=" + dk + " dv=" + dv + " (each must be >= 1)");
    }
    this.mode = mode;
    this.chunk = chunk;
    this.dk = dk;
    this.dv = dv;
    final int d = Math.max(dk, dv);
    qc = new float[chunk * dk];
    kc = new float[chunk * dk];
    vc = new float[chunk * dv];
    doc = new float[chunk * dv];
    bc = new float[chunk * dk];
    qhat = new float[chunk * dk];
    ktil = new float[chunk * dk];
    outc = new float[chunk * dv];
    dqc = new float[chunk * dk];
    dkc = new float[chunk * dk];
    dvc = new float[chunk * dv];
    dgc = new float[chunk * dk];
    a = new float[chunk * chunk];
    da = new float[chunk * chunk];
    final int sqLen = Math.max(Math.max(chunk * chunk, chunk * d), dk * dv);
    sq = new float[sqLen];
    sq2 = new float[sqLen];
    state = new float[dk * dv];
    dh = new float[dk * dv];
    qdec = new float[chunk];
    kdec = new float[chunk];
    mask = new float[chunk * chunk];
    gammaVec = new float[dk];
    rowSum = new float[dk];
    suffixRun = new double[dk];
    expRow = new float[chunk * dk];
  }

  public DecayMode mode() {
    return mode;
  }

  /**
   * Sets a hook run after every chunk of forward and backward (null: none). The sequence-parallel
   * operator passes its in-flight collective's {@code poll}, so communication advances every ~C
   * tokens of compute on the same thread (a duty cycle, as in Aeron's agents) instead of waiting
   * for the compute to finish.
   */
  public void progress(final Runnable hook) {
    this.progress = hook;
  }

  public int chunk() {
    return chunk;
  }

  // ---------------------------------------------------------------------------------- forward

  /**
   * Forward for one head.
   *
   * @param o {@code [L, dv]} output (=)
   * @param sOut {@code [dk, dv]} final state (=), or null
   * @param q {@code [L, dk]}
   * @param k {@code [L, dk]}
   * @param v {@code [L, dv]}
   * @param g GLA log-gates {@code [L, dk]} (≤ 0); null for other modes
   * @param logLambda CONST_DECAY: {@code ln λ ≤ 0}; ignored otherwise
   * @param sIn {@code [dk, dv]} incoming state, or null for zero
   * @param len L, tokens in the slice (may be 0)
   */
  public void forward(
      final MemorySegment o,
      final MemorySegment sOut,
      final MemorySegment q,
      final MemorySegment k,
      final MemorySegment v,
      final MemorySegment g,
      final float logLambda,
      final MemorySegment sIn,
      final int len) {
    forward(o, sOut, q, k, v, g, logLambda, sIn, len, null);
  }

  /**
   * Forward that also records the state entering every chunk into {@code cache} (if not null), for
   * a backward call that then skips its recompute pass.
   */
  public void forward(
      final MemorySegment o,
      final MemorySegment sOut,
      final MemorySegment q,
      final MemorySegment k,
      final MemorySegment v,
      final MemorySegment g,
      final float logLambda,
      final MemorySegment sIn,
      final int len,
      final ChunkStates cache) {
    checkGates(g, logLambda);
    loadOrZero(state, 0, sIn);
    final int stateLen = dk * dv;
    final float[] rec = cache == null ? null : cache.prepare(len, dk, dv, chunk);
    for (int t0 = 0; t0 < len; t0 += chunk) {
      final int c = Math.min(chunk, len - t0);
      if (rec != null) {
        System.arraycopy(state, 0, rec, t0 / chunk * stateLen, stateLen);
      }
      pack(qc, q, t0, c, dk);
      pack(kc, k, t0, c, dk);
      pack(vc, v, t0, c, dv);
      prepareDecay(g, t0, c, logLambda);
      scores(c);
      if (rec != null && mode != DecayMode.GLA) {
        System.arraycopy(a, 0, cache.scores, t0 / chunk * chunk * chunk, c * c);
      }
      // O = A V + Q̂ S
      Gemm.mul(outc, 0, dv, a, 0, c, vc, 0, dv, c, dv, c, false, A_LOWER);
      Gemm.mul(outc, 0, dv, qhat, 0, dk, state, 0, dv, c, dv, dk, true, FULL);
      advanceState(state, 0, c);
      unpack(o, outc, t0, c, dv);
      if (progress != null) {
        progress.run();
      }
    }
    if (rec != null) {
      System.arraycopy(state, 0, rec, (len + chunk - 1) / chunk * stateLen, stateLen);
    }
    store(sOut, state, 0);
  }

  /**
   * The slice's state summary ΔS = S_L reached from a zero state (§2.1), without computing outputs.
   *
   * @param sOut {@code [dk, dv]} (=)
   */
  public void localState(
      final MemorySegment sOut,
      final MemorySegment k,
      final MemorySegment v,
      final MemorySegment g,
      final float logLambda,
      final int len) {
    checkGates(g, logLambda);
    java.util.Arrays.fill(state, 0f);
    for (int t0 = 0; t0 < len; t0 += chunk) {
      final int c = Math.min(chunk, len - t0);
      pack(kc, k, t0, c, dk);
      pack(vc, v, t0, c, dv);
      prepareDecay(g, t0, c, logLambda);
      advanceState(state, 0, c);
    }
    store(sOut, state, 0);
  }

  /**
   * The slice's log-decay summary log Γ = Σ_t g_t per key dim (§2.1): {@code L·ln λ} for constant
   * decay, 0 for plain. Summed per chunk, then across chunks.
   *
   * @param logDecay {@code [dk]} (=)
   */
  public void localLogDecay(
      final MemorySegment logDecay, final MemorySegment g, final float logLambda, final int len) {
    checkGates(g, logLambda);
    switch (mode) {
      case PLAIN -> logDecay.asSlice(0, (long) dk * Float.BYTES).fill((byte) 0);
      case CONST_DECAY -> {
        for (int i = 0; i < dk; i++) {
          logDecay.setAtIndex(F, i, len * logLambda);
        }
      }
      case GLA -> {
        java.util.Arrays.fill(rowSum, 0f);
        for (int t0 = 0; t0 < len; t0 += chunk) {
          final int c = Math.min(chunk, len - t0);
          pack(bc, g, t0, c, dk);
          for (int i = 0; i < dk; i++) {
            float s = 0f;
            for (int r = 0; r < c; r++) {
              s += bc[r * dk + i];
            }
            rowSum[i] += s;
          }
        }
        MemorySegment.copy(rowSum, 0, logDecay, F, 0, dk);
      }
    }
  }

  // --------------------------------------------------------------------------------- backward

  /**
   * Backward for one head, of the loss {@code Σ dO ⊙ o + Σ dS_out ⊙ S_L}. Chunk-boundary states are
   * recomputed from {@code sIn} (one extra state pass) rather than cached by forward.
   *
   * @param dQ {@code [L, dk]} (=)
   * @param dK {@code [L, dk]} (=)
   * @param dV {@code [L, dv]} (=)
   * @param dG GLA: {@code [L, dk]} gradient w.r.t. the log-gates (=); null otherwise
   * @param dsIn {@code [dk, dv]} gradient w.r.t. the incoming state (=), or null
   * @param dO {@code [L, dv]} upstream gradient
   * @param sIn incoming state used in forward, or null for zero
   * @param dsOut {@code [dk, dv]} gradient arriving at the final state, or null for zero
   */
  public void backward(
      final MemorySegment dQ,
      final MemorySegment dK,
      final MemorySegment dV,
      final MemorySegment dG,
      final MemorySegment dsIn,
      final MemorySegment dO,
      final MemorySegment q,
      final MemorySegment k,
      final MemorySegment v,
      final MemorySegment g,
      final float logLambda,
      final MemorySegment sIn,
      final MemorySegment dsOut,
      final int len) {
    backward(dQ, dK, dV, dG, dsIn, dO, q, k, v, g, logLambda, sIn, dsOut, len, null);
  }

  /**
   * Backward using the chunk states {@code cached} by a forward call on the same inputs and {@code
   * sIn}; recomputes them when {@code cached} is null or describes another slice.
   */
  public void backward(
      final MemorySegment dQ,
      final MemorySegment dK,
      final MemorySegment dV,
      final MemorySegment dG,
      final MemorySegment dsIn,
      final MemorySegment dO,
      final MemorySegment q,
      final MemorySegment k,
      final MemorySegment v,
      final MemorySegment g,
      final float logLambda,
      final MemorySegment sIn,
      final MemorySegment dsOut,
      final int len,
      final ChunkStates cached) {
    checkGates(g, logLambda);
    if (mode == DecayMode.GLA && dG == null && len > 0) {
      throw new IllegalArgumentException("gla backward needs a dg output");
    }
    final int n = (len + chunk - 1) / chunk;
    final int stateLen = dk * dv;
    final long need = (long) (n + 1) * stateLen;
    if (need > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "slice of "
              + len
              + " tokens needs "
              + need
              + " floats of chunk states; use a larger chunk");
    }
    final boolean reuse = cached != null && cached.matches(len, dk, dv, chunk);
    if (!reuse && ownStates.length < need) {
      ownStates = new float[(int) need];
    }
    states = reuse ? cached.states : ownStates;
    cachedScores = reuse && mode != DecayMode.GLA ? cached.scores : null;
    // Pass 1: the state entering every chunk, S_[0] = sIn, ..., S_[n] = final state.
    if (!reuse) {
      loadOrZero(states, 0, sIn);
    }
    for (int ci = 0; ci < n && !reuse; ci++) {
      final int t0 = ci * chunk;
      final int c = Math.min(chunk, len - t0);
      pack(kc, k, t0, c, dk);
      pack(vc, v, t0, c, dv);
      prepareDecay(g, t0, c, logLambda);
      System.arraycopy(states, ci * stateLen, states, (ci + 1) * stateLen, stateLen);
      advanceState(states, (ci + 1) * stateLen, c);
      if (progress != null) {
        progress.run();
      }
    }
    // Pass 2: chunks in reverse, carrying dH = ∂loss/∂(state at the chunk's end).
    loadOrZero(dh, 0, dsOut);
    for (int ci = n - 1; ci >= 0; ci--) {
      final int t0 = ci * chunk;
      final int c = Math.min(chunk, len - t0);
      pack(qc, q, t0, c, dk);
      pack(kc, k, t0, c, dk);
      pack(vc, v, t0, c, dv);
      pack(doc, dO, t0, c, dv);
      prepareDecay(g, t0, c, logLambda);
      backwardChunk(c, ci, ci * stateLen, (ci + 1) * stateLen);
      unpack(dQ, dqc, t0, c, dk);
      unpack(dK, dkc, t0, c, dk);
      unpack(dV, dvc, t0, c, dv);
      if (mode == DecayMode.GLA) {
        unpack(dG, dgc, t0, c, dk);
      }
      if (progress != null) {
        progress.run();
      }
    }
    store(dsIn, dh, 0);
  }

  /**
   * The slice's state-gradient summary ΔdS = Σ_t (q_t ⊙ exp(G_t))ᵀ dO_t (§2.2): the gradient
   * reaching the incoming state through this slice's own outputs. A reverse pass over chunks,
   * {@code dH ← diag(γ) dH + Q̂ᵀ dO}, without the intra-chunk work.
   *
   * @param dsIn {@code [dk, dv]} (=)
   */
  public void localStateGradient(
      final MemorySegment dsIn,
      final MemorySegment dO,
      final MemorySegment q,
      final MemorySegment g,
      final float logLambda,
      final int len) {
    checkGates(g, logLambda);
    java.util.Arrays.fill(dh, 0f);
    final int n = (len + chunk - 1) / chunk;
    for (int ci = n - 1; ci >= 0; ci--) {
      final int t0 = ci * chunk;
      final int c = Math.min(chunk, len - t0);
      pack(qc, q, t0, c, dk);
      pack(doc, dO, t0, c, dv);
      prepareDecay(g, t0, c, logLambda);
      backpropState(c);
    }
    store(dsIn, dh, 0);
  }

  // ---------------------------------------------------------------- decoupled corrections (§2.3)

  /**
   * Adds the incoming state's contribution to outputs computed with a zero incoming state: {@code O
   * += (Q ⊙ exp(G^loc)) S_in}, with {@code G^loc_t} the inclusive cumulative log gate from the
   * slice's first token.
   */
  public void correctForward(
      final MemorySegment o,
      final MemorySegment q,
      final MemorySegment g,
      final float logLambda,
      final MemorySegment sIn,
      final int len) {
    checkGates(g, logLambda);
    loadOrZero(state, 0, sIn);
    java.util.Arrays.fill(rowSum, 0f); // running prefix G before the chunk
    for (int t0 = 0; t0 < len; t0 += chunk) {
      final int c = Math.min(chunk, len - t0);
      pack(qc, q, t0, c, dk);
      prefixScaledQ(g, t0, c, logLambda);
      Gemm.mul(outc, 0, dv, qhat, 0, dk, state, 0, dv, c, dv, dk, false, FULL);
      addInto(o, outc, t0, c, dv);
    }
  }

  /**
   * Adds the boundary contributions to gradients computed with zero boundary conditions (§2.3):
   *
   * <pre>
   *   dQ[t]  += exp(G_t) ⊙ (dO_t S_inᵀ)
   *   dK[t]  += exp(G_L − G_t) ⊙ (v_t dS_outᵀ)
   *   dV[t]  += (k_t ⊙ exp(G_L − G_t)) dS_out
   *   dg_t   += Σ_{u ≥ t} (q_u ⊙ ΔdQ_u − k_u ⊙ ΔdK_u) + rowsum(S_out ⊙ dS_out)       (GLA)
   * </pre>
   *
   * {@code G_L − G_t} is accumulated as a suffix sum of gates, never as a difference of two long
   * prefix sums (which would cancel catastrophically on long slices).
   *
   * @param sOut the true final state {@code diag(Γ) S_in + ΔS} (GLA dg only; null if dsOut null)
   */
  public void correctBackward(
      final MemorySegment dQ,
      final MemorySegment dK,
      final MemorySegment dV,
      final MemorySegment dG,
      final MemorySegment dO,
      final MemorySegment q,
      final MemorySegment k,
      final MemorySegment v,
      final MemorySegment g,
      final float logLambda,
      final MemorySegment sIn,
      final MemorySegment dsOut,
      final MemorySegment sOut,
      final int len) {
    checkGates(g, logLambda);
    final boolean gla = mode == DecayMode.GLA;
    if (gla) {
      final long need = (long) len * dk;
      if (need > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(
            "slice of " + len + " tokens is too long for dg scratch");
      }
      if (corr.length < need) {
        corr = new float[(int) need];
      }
    }
    // Forward pass over chunks: dQ correction, recording q ⊙ ΔdQ for the dg suffix sums.
    if (sIn != null) {
      loadOrZero(state, 0, sIn);
      Gemm.transpose(sq2, state, 0, dv, dk, dv); // S_inᵀ [dv, dk]
      java.util.Arrays.fill(rowSum, 0f);
      for (int t0 = 0; t0 < len; t0 += chunk) {
        final int c = Math.min(chunk, len - t0);
        pack(qc, q, t0, c, dk);
        pack(doc, dO, t0, c, dv);
        prefixScaledQ(g, t0, c, logLambda); // leaves exp(G_t) in dqc when gla/const
        Gemm.mul(sq, 0, dk, doc, 0, dv, sq2, 0, dk, c, dk, dv, false, FULL);
        for (int r = 0; r < c; r++) {
          for (int i = 0; i < dk; i++) {
            final int ri = r * dk + i;
            final float delta = dqc[ri] * sq[ri];
            sq[ri] = delta;
            if (gla) {
              corr[(t0 + r) * dk + i] = qc[ri] * delta;
            }
          }
        }
        addInto(dQ, sq, t0, c, dk);
      }
    } else if (gla) {
      java.util.Arrays.fill(corr, 0, len * dk, 0f);
    }
    if (dsOut == null) {
      if (gla) {
        suffixSumInto(dG, len, null);
      }
      return;
    }
    // Reverse pass: dK, dV corrections with exp(G_L − G_t) from suffix sums of gates.
    loadOrZero(dh, 0, dsOut);
    Gemm.transpose(sq2, dh, 0, dv, dk, dv); // dS_outᵀ [dv, dk]
    java.util.Arrays.fill(rowSum, 0f); // Σ of gates after the current chunk
    final int n = (len + chunk - 1) / chunk;
    for (int ci = n - 1; ci >= 0; ci--) {
      final int t0 = ci * chunk;
      final int c = Math.min(chunk, len - t0);
      pack(kc, k, t0, c, dk);
      pack(vc, v, t0, c, dv);
      suffixScaledK(g, t0, c, logLambda, len); // ktil = k ⊙ exp(G_L − G_t); sq = the factors
      // ΔdV = K̃ dS_out
      Gemm.mul(dvc, 0, dv, ktil, 0, dk, dh, 0, dv, c, dv, dk, false, FULL);
      addInto(dV, dvc, t0, c, dv);
      // ΔdK = exp(G_L − G_t) ⊙ (V dS_outᵀ)
      Gemm.mul(dkc, 0, dk, vc, 0, dv, sq2, 0, dk, c, dk, dv, false, FULL);
      for (int ri = 0; ri < c * dk; ri++) {
        dkc[ri] *= sq[ri];
        if (gla) {
          corr[t0 * dk + ri] -= kc[ri] * dkc[ri];
        }
      }
      addInto(dK, dkc, t0, c, dk);
    }
    if (gla) {
      loadOrZero(state, 0, sOut);
      for (int i = 0; i < dk; i++) {
        float z = 0f;
        for (int j = 0; j < dv; j++) {
          z += state[i * dv + j] * dh[i * dv + j];
        }
        gammaVec[i] = z;
      }
      suffixSumInto(dG, len, gammaVec);
    }
  }

  // ------------------------------------------------------------------------------ chunk helpers

  /** Decay factors for chunk rows [t0, t0+c): qhat/ktil/gamma (and the mask for non-GLA). */
  private void prepareDecay(
      final MemorySegment g, final int t0, final int c, final float logLambda) {
    switch (mode) {
      case PLAIN -> {
        ensureMask(c, 0f);
        gammaScalar = 1f;
      }
      case CONST_DECAY -> {
        ensureMask(c, logLambda);
        gammaScalar = expFloor(c * logLambda);
      }
      case GLA -> {
        pack(bc, g, t0, c, dk);
        for (int r = 1; r < c; r++) {
          final int row = r * dk;
          final int prev = row - dk;
          for (int i = 0; i < dk; i++) {
            bc[row + i] += bc[prev + i];
          }
        }
        final int last = (c - 1) * dk;
        for (int i = 0; i < dk; i++) {
          gammaVec[i] = expFloor(bc[last + i]);
        }
      }
    }
  }

  /** Fills qhat = Q ⊙ exp(b) and ktil = K ⊙ exp(b_C − b) for the packed chunk. */
  private void decayQk(final int c) {
    switch (mode) {
      case PLAIN -> {
        System.arraycopy(qc, 0, qhat, 0, c * dk);
        System.arraycopy(kc, 0, ktil, 0, c * dk);
      }
      case CONST_DECAY -> {
        for (int r = 0; r < c; r++) {
          final float fq = qdec[r];
          final float fk = kdec[r];
          final int row = r * dk;
          for (int i = 0; i < dk; i++) {
            qhat[row + i] = fq * qc[row + i];
            ktil[row + i] = fk * kc[row + i];
          }
        }
      }
      case GLA -> {
        final int last = (c - 1) * dk;
        for (int r = 0; r < c; r++) {
          final int row = r * dk;
          int i = 0;
          for (; i + LANES <= dk; i += LANES) {
            final FloatVector b = FloatVector.fromArray(S, bc, row + i);
            final FloatVector bLast = FloatVector.fromArray(S, bc, last + i);
            FloatVector.fromArray(S, qc, row + i).mul(expFloor(b)).intoArray(qhat, row + i);
            FloatVector.fromArray(S, kc, row + i)
                .mul(expFloor(bLast.sub(b)))
                .intoArray(ktil, row + i);
          }
          for (; i < dk; i++) {
            qhat[row + i] = qc[row + i] * expFloor(bc[row + i]);
            ktil[row + i] = kc[row + i] * expFloor(bc[last + i] - bc[row + i]);
          }
        }
      }
    }
  }

  /** Intra-chunk scores A (c×c, zero above the diagonal) and qhat/ktil for the packed chunk. */
  private void scores(final int c) {
    decayQk(c);
    if (mode == DecayMode.GLA) {
      for (int r = 0; r < c; r++) {
        fillExpRow(r);
        final int rowA = r * c;
        for (int j = 0; j <= r; j++) {
          a[rowA + j] = gatedDot(r, j);
        }
        java.util.Arrays.fill(a, rowA + r + 1, rowA + c, 0f);
      }
    } else {
      Gemm.transpose(sq, kc, 0, dk, c, dk); // Kᵀ [dk, c]
      Gemm.mul(a, 0, c, qc, 0, dk, sq, 0, c, c, c, dk, false, C_LOWER);
      applyMask(a, c);
    }
  }

  /** {@code S ← diag(γ) S + K̃ᵀ V} for the packed chunk, on {@code s[off ..]}. */
  private void advanceState(final float[] s, final int off, final int c) {
    switch (mode) {
      case PLAIN -> System.arraycopy(kc, 0, ktil, 0, c * dk);
      case CONST_DECAY -> {
        for (int r = 0; r < c; r++) {
          final float fk = kdec[r];
          for (int i = 0; i < dk; i++) {
            ktil[r * dk + i] = fk * kc[r * dk + i];
          }
        }
      }
      case GLA -> {
        final int last = (c - 1) * dk;
        for (int r = 0; r < c; r++) {
          for (int i = 0; i < dk; i++) {
            ktil[r * dk + i] = kc[r * dk + i] * expFloor(bc[last + i] - bc[r * dk + i]);
          }
        }
      }
    }
    scaleRows(s, off);
    Gemm.mulTransA(s, off, dv, ktil, 0, dk, vc, 0, dv, dk, dv, c, true, FULL); // += K̃ᵀ V
  }

  /** Scales the rows of a [dk, dv] matrix by γ (the chunk's total decay). */
  private void scaleRows(final float[] m, final int off) {
    if (mode == DecayMode.PLAIN) {
      return;
    }
    for (int i = 0; i < dk; i++) {
      final float f = mode == DecayMode.GLA ? gammaVec[i] : gammaScalar;
      final int row = off + i * dv;
      for (int j = 0; j < dv; j++) {
        m[row + j] *= f;
      }
    }
  }

  /** {@code dH ← diag(γ) dH + Q̂ᵀ dO} for the packed chunk. */
  private void backpropState(final int c) {
    switch (mode) {
      case PLAIN -> System.arraycopy(qc, 0, qhat, 0, c * dk);
      case CONST_DECAY -> {
        for (int r = 0; r < c; r++) {
          for (int i = 0; i < dk; i++) {
            qhat[r * dk + i] = qdec[r] * qc[r * dk + i];
          }
        }
      }
      case GLA -> {
        for (int ri = 0; ri < c * dk; ri++) {
          qhat[ri] = qc[ri] * expFloor(bc[ri]);
        }
      }
    }
    scaleRows(dh, 0);
    Gemm.mulTransA(dh, 0, dv, qhat, 0, dk, doc, 0, dv, dk, dv, c, true, FULL); // += Q̂ᵀ dO
  }

  /** One chunk of backward; states[prevOff] enters the chunk, states[endOff] leaves it. */
  private void backwardChunk(final int c, final int ci, final int prevOff, final int endOff) {
    if (mode == DecayMode.GLA) {
      decayQk(c); // A comes from the fused pass below
    } else if (cachedScores != null) {
      decayQk(c); // qhat, ktil; A as forward left it
      System.arraycopy(cachedScores, ci * chunk * chunk, a, 0, c * c);
    } else {
      scores(c); // A, qhat, ktil
    }
    // dA = dO Vᵀ, lower triangle
    Gemm.transpose(sq, vc, 0, dv, c, dv); // Vᵀ [dv, c]
    Gemm.mul(da, 0, c, doc, 0, dv, sq, 0, c, c, c, dv, false, C_LOWER);
    if (mode == DecayMode.GLA) {
      for (int r = 0; r < c; r++) {
        java.util.Arrays.fill(da, r * c + r + 1, r * c + c, 0f);
      }
      gatedIntraBackward(c);
    } else {
      applyMask(da, c); // dA ⊙ Λ
      // dQ = (dA⊙Λ) K ; dK = (dA⊙Λ)ᵀ Q ; dV = Aᵀ dO
      Gemm.mul(dqc, 0, dk, da, 0, c, kc, 0, dk, c, dk, c, false, A_LOWER);
      Gemm.mulTransA(dkc, 0, dk, da, 0, c, qc, 0, dk, c, dk, c, false, A_UPPER);
    }
    Gemm.mulTransA(dvc, 0, dv, a, 0, c, doc, 0, dv, c, dv, c, false, A_UPPER); // Aᵀ dO
    // Inter terms. dQ += exp(b_r) ⊙ (dO S_prevᵀ)
    Gemm.transpose(sq2, states, prevOff, dv, dk, dv); // S_prevᵀ [dv, dk]
    Gemm.mul(sq, 0, dk, doc, 0, dv, sq2, 0, dk, c, dk, dv, false, FULL);
    addDecayed(dqc, sq, c, false);
    // dK += exp(b_C − b_j) ⊙ (V dHᵀ)
    Gemm.transpose(sq2, dh, 0, dv, dk, dv); // dHᵀ [dv, dk]
    Gemm.mul(sq, 0, dk, vc, 0, dv, sq2, 0, dk, c, dk, dv, false, FULL);
    addDecayed(dkc, sq, c, true);
    // dV += K̃ dH
    Gemm.mul(dvc, 0, dv, ktil, 0, dk, dh, 0, dv, c, dv, dk, true, FULL);
    if (mode == DecayMode.GLA) {
      gateGradient(c, endOff);
    }
    // dH for the previous chunk.
    scaleRows(dh, 0);
    Gemm.mulTransA(dh, 0, dv, qhat, 0, dk, doc, 0, dv, dk, dv, c, true, FULL); // += Q̂ᵀ dO
  }

  /**
   * GLA intra-chunk scores and backward in one pass over the pairs j ≤ r, sharing {@code e =
   * exp(b_r − b_j)} (one exp per pair and key dim): {@code A[r,j] = Σ_i q_ri k_ji e_i}, {@code
   * dQ[r] += dA[r,j] (k_j ⊙ e)}, {@code dK[j] += dA[r,j] (q_r ⊙ e)}.
   */
  private void gatedIntraBackward(final int c) {
    java.util.Arrays.fill(dqc, 0, c * dk, 0f);
    java.util.Arrays.fill(dkc, 0, c * dk, 0f);
    for (int r = 0; r < c; r++) {
      fillExpRow(r);
      final int rowA = r * c;
      for (int j = 0; j <= r; j++) {
        a[rowA + j] = gatedDot(r, j);
        final float w = da[rowA + j];
        if (w != 0f) {
          accumulatePair(r, j, w);
        }
      }
      java.util.Arrays.fill(a, rowA + r + 1, rowA + c, 0f);
    }
  }

  /**
   * {@code dQ[r] += w (k_j ⊙ e_j)}, {@code dK[j] += w (q_r ⊙ e_j)} with e from {@link #fillExpRow}.
   */
  private void accumulatePair(final int r, final int j, final float w) {
    final int rowR = r * dk;
    final int rowJ = j * dk;
    final FloatVector wv = FloatVector.broadcast(S, w);
    int i = 0;
    for (; i + LANES <= dk; i += LANES) {
      final FloatVector we = FloatVector.fromArray(S, expRow, rowJ + i).mul(wv);
      FloatVector.fromArray(S, kc, rowJ + i)
          .fma(we, FloatVector.fromArray(S, dqc, rowR + i))
          .intoArray(dqc, rowR + i);
      FloatVector.fromArray(S, qc, rowR + i)
          .fma(we, FloatVector.fromArray(S, dkc, rowJ + i))
          .intoArray(dkc, rowJ + i);
    }
    for (; i < dk; i++) {
      final float we = w * expRow[rowJ + i];
      dqc[rowR + i] += we * kc[rowJ + i];
      dkc[rowJ + i] += we * qc[rowR + i];
    }
  }

  /** {@code expRow[j, i] = exp(b_ri − b_ji)} for every j ≤ r (all arguments ≤ 0). */
  private void fillExpRow(final int r) {
    final int rowR = r * dk;
    for (int j = 0; j <= r; j++) {
      final int rowJ = j * dk;
      int i = 0;
      for (; i + LANES <= dk; i += LANES) {
        VectorExp.expNonPositive(
                FloatVector.fromArray(S, bc, rowR + i).sub(FloatVector.fromArray(S, bc, rowJ + i)))
            .intoArray(expRow, rowJ + i);
      }
      for (; i < dk; i++) {
        expRow[rowJ + i] = expFloor(bc[rowR + i] - bc[rowJ + i]);
      }
    }
  }

  /**
   * {@code dst[r] += f_r ⊙ src[r]} with f the decay to the chunk start ({@code exp(b_r)}, for dQ)
   * or to the chunk end ({@code exp(b_C − b_r)}, for dK).
   */
  private void addDecayed(final float[] dst, final float[] src, final int c, final boolean toEnd) {
    switch (mode) {
      case PLAIN -> {
        for (int ri = 0; ri < c * dk; ri++) {
          dst[ri] += src[ri];
        }
      }
      case CONST_DECAY -> {
        final float[] f = toEnd ? kdec : qdec;
        for (int r = 0; r < c; r++) {
          for (int i = 0; i < dk; i++) {
            dst[r * dk + i] += f[r] * src[r * dk + i];
          }
        }
      }
      case GLA -> {
        final int last = (c - 1) * dk;
        for (int r = 0; r < c; r++) {
          for (int i = 0; i < dk; i++) {
            final int ri = r * dk + i;
            final float arg = toEnd ? bc[last + i] - bc[ri] : bc[ri];
            dst[ri] += expFloor(arg) * src[ri];
          }
        }
      }
    }
  }

  /**
   * {@code dg_t = Σ_{u ≥ t in chunk} (q_u ⊙ dq_u − k_u ⊙ dk_u) + rowsum(S_end ⊙ dH)}: the boundary
   * term is the gradient through the chunk's last gate into the next chunk (§1.3).
   */
  private void gateGradient(final int c, final int endOff) {
    for (int i = 0; i < dk; i++) {
      float z = 0f;
      final int row = i * dv;
      for (int j = 0; j < dv; j++) {
        z += states[endOff + row + j] * dh[row + j];
      }
      rowSum[i] = z;
    }
    for (int r = c - 1; r >= 0; r--) {
      final int row = r * dk;
      for (int i = 0; i < dk; i++) {
        rowSum[i] += qc[row + i] * dqc[row + i] - kc[row + i] * dkc[row + i];
        dgc[row + i] = rowSum[i];
      }
    }
  }

  /**
   * For corrections: qhat = Q ⊙ exp(P + b_r) with P (in rowSum) the log decay before the chunk, and
   * the factors exp(P + b_r) left in dqc; advances P by the chunk's total.
   */
  private void prefixScaledQ(
      final MemorySegment g, final int t0, final int c, final float logLambda) {
    switch (mode) {
      case PLAIN -> {
        System.arraycopy(qc, 0, qhat, 0, c * dk);
        java.util.Arrays.fill(dqc, 0, c * dk, 1f);
      }
      case CONST_DECAY -> {
        for (int r = 0; r < c; r++) {
          final float f = expFloor((t0 + r + 1) * logLambda);
          for (int i = 0; i < dk; i++) {
            dqc[r * dk + i] = f;
            qhat[r * dk + i] = f * qc[r * dk + i];
          }
        }
      }
      case GLA -> {
        pack(bc, g, t0, c, dk);
        for (int r = 0; r < c; r++) {
          for (int i = 0; i < dk; i++) {
            final int ri = r * dk + i;
            rowSum[i] += bc[ri];
            final float f = expFloor(rowSum[i]);
            dqc[ri] = f;
            qhat[ri] = f * qc[ri];
          }
        }
      }
    }
  }

  /**
   * For corrections, walking chunks in reverse: ktil = K ⊙ exp(G_L − G_t) with the factors in sq,
   * where G_L − G_t is the sum of gates after token t (rowSum holds the sum after the chunk).
   */
  private void suffixScaledK(
      final MemorySegment g, final int t0, final int c, final float logLambda, final int len) {
    switch (mode) {
      case PLAIN -> {
        System.arraycopy(kc, 0, ktil, 0, c * dk);
        java.util.Arrays.fill(sq, 0, c * dk, 1f);
      }
      case CONST_DECAY -> {
        final int after = len - t0 - c; // tokens after the chunk
        for (int r = c - 1; r >= 0; r--) {
          final float f = expFloor((after + (c - 1 - r)) * logLambda);
          for (int i = 0; i < dk; i++) {
            sq[r * dk + i] = f;
            ktil[r * dk + i] = f * kc[r * dk + i];
          }
        }
      }
      case GLA -> {
        pack(bc, g, t0, c, dk);
        for (int r = c - 1; r >= 0; r--) {
          for (int i = 0; i < dk; i++) {
            final int ri = r * dk + i;
            final float f = expFloor(rowSum[i]);
            sq[ri] = f;
            ktil[ri] = f * kc[ri];
            rowSum[i] += bc[ri];
          }
        }
      }
    }
  }

  /** dg[t] += Σ_{u ≥ t} corr[u] (+ boundary), accumulated in double over the whole slice. */
  private void suffixSumInto(final MemorySegment dg, final int len, final float[] boundary) {
    final double[] run = suffixRun;
    for (int i = 0; i < dk; i++) {
      run[i] = boundary == null ? 0.0 : boundary[i];
    }
    for (int t = len - 1; t >= 0; t--) {
      for (int i = 0; i < dk; i++) {
        run[i] += corr[t * dk + i];
        final long idx = (long) t * dk + i;
        dg.setAtIndex(F, idx, dg.getAtIndex(F, idx) + (float) run[i]);
      }
    }
  }

  /** A[r,j] = Σ_i q_ri k_ji exp(b_ri − b_ji), with the exps from {@link #fillExpRow}(r). */
  private float gatedDot(final int r, final int j) {
    final int rowR = r * dk;
    final int rowJ = j * dk;
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (; i + LANES <= dk; i += LANES) {
      acc =
          FloatVector.fromArray(S, qc, rowR + i)
              .mul(FloatVector.fromArray(S, kc, rowJ + i))
              .fma(FloatVector.fromArray(S, expRow, rowJ + i), acc);
    }
    // A fixed-order lane sum: reduceLanes may associate differently in interpreted and compiled
    // code, which would make runs differ bitwise.
    acc.intoArray(laneScratch, 0);
    float s = 0f;
    for (int l = 0; l < LANES; l++) {
      s += laneScratch[l];
    }
    for (; i < dk; i++) {
      s += qc[rowR + i] * kc[rowJ + i] * expRow[rowJ + i];
    }
    return s;
  }

  /** Builds the c×c decay mask and the row factors for ln λ (0 for plain), cached. */
  private void ensureMask(final int c, final float logLambda) {
    if (c == maskChunk && Float.compare(logLambda, maskLogLambda) == 0) {
      return;
    }
    for (int r = 0; r < c; r++) {
      for (int j = 0; j < c; j++) {
        mask[r * c + j] = j <= r ? expFloor((r - j) * logLambda) : 0f;
      }
      qdec[r] = expFloor((r + 1) * logLambda);
      kdec[r] = expFloor((c - 1 - r) * logLambda);
    }
    maskChunk = c;
    maskLogLambda = logLambda;
  }

  private void applyMask(final float[] m, final int c) {
    final int n = c * c;
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
      FloatVector.fromArray(S, m, i).mul(FloatVector.fromArray(S, mask, i)).intoArray(m, i);
    }
    for (; i < n; i++) {
      m[i] *= mask[i];
    }
  }

  private void checkGates(final MemorySegment g, final float logLambda) {
    if (mode == DecayMode.GLA && g == null) {
      throw new IllegalArgumentException("gla mode needs log-gates g");
    }
    if (mode == DecayMode.CONST_DECAY && !(logLambda <= 0f)) {
      throw new IllegalArgumentException("const_decay needs ln λ <= 0, got " + logLambda);
    }
  }

  private static float expFloor(final float x) {
    return x < FLOOR ? 0f : (float) Math.exp(x);
  }

  private static FloatVector expFloor(final FloatVector x) {
    return VectorExp.expNonPositive(x);
  }

  private static void pack(
      final float[] dst, final MemorySegment src, final int row0, final int rows, final int width) {
    MemorySegment.copy(src, F, (long) row0 * width * Float.BYTES, dst, 0, rows * width);
  }

  private static void unpack(
      final MemorySegment dst, final float[] src, final int row0, final int rows, final int width) {
    MemorySegment.copy(src, 0, dst, F, (long) row0 * width * Float.BYTES, rows * width);
  }

  private static void addInto(
      final MemorySegment dst, final float[] src, final int row0, final int rows, final int width) {
    final long base = (long) row0 * width;
    for (int i = 0; i < rows * width; i++) {
      dst.setAtIndex(F, base + i, dst.getAtIndex(F, base + i) + src[i]);
    }
  }

  private void loadOrZero(final float[] dst, final int off, final MemorySegment src) {
    if (src == null) {
      java.util.Arrays.fill(dst, off, off + dk * dv, 0f);
    } else {
      MemorySegment.copy(src, F, 0, dst, off, dk * dv);
    }
  }

  private void store(final MemorySegment dst, final float[] src, final int off) {
    if (dst != null) {
      MemorySegment.copy(src, off, dst, F, 0, dk * dv);
    }
  }
}
