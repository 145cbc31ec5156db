package io.seqpar.worker.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Test harness: one head's tensors as heap arrays, run through the kernel via off-heap copies. */
final class HeadRun {
  final DecayMode mode;
  final int len;
  final int dk;
  final int dv;
  final float[] q;
  final float[] k;
  final float[] v;
  final float[] dO;
  final float[] g; // gla only
  final float logLambda; // const only
  float[] sIn;
  float[] dsOut;

  // results
  float[] o;
  float[] sOut;
  float[] dq;
  float[] dkOut;
  float[] dvOut;
  float[] dg;
  float[] dsIn;

  HeadRun(
      final DecayMode mode,
      final int len,
      final int dk,
      final int dv,
      final float[] q,
      final float[] k,
      final float[] v,
      final float[] dO,
      final float[] g,
      final float logLambda) {
    this.mode = mode;
    this.len = len;
    this.dk = dk;
    this.dv = dv;
    this.q = q;
    this.k = k;
    this.v = v;
    this.dO = dO;
    this.g = g;
    this.logLambda = logLambda;
  }

  /** A random head: q,k ~ 0.5 N(0,1), v,dO ~ N(0,1), gates logsigmoid(N(0,1))/4. */
  static HeadRun random(
      final DecayMode mode, final int len, final int dk, final int dv, final long seed) {
    final SplittableRandom r = new SplittableRandom(seed);
    final float[] g = mode == DecayMode.GLA ? new float[len * dk] : null;
    if (g != null) {
      for (int i = 0; i < g.length; i++) {
        g[i] = (float) (-Math.log1p(Math.exp(-gauss(r))) / 4);
      }
    }
    return new HeadRun(
        mode,
        len,
        dk,
        dv,
        randn(r, len * dk, 0.5),
        randn(r, len * dk, 0.5),
        randn(r, len * dv, 1),
        randn(r, len * dv, 1),
        g,
        mode == DecayMode.CONST_DECAY ? (float) Math.log(0.9) : 0f);
  }

  HeadRun withBoundaries(final long seed) {
    final SplittableRandom r = new SplittableRandom(seed);
    sIn = randn(r, dk * dv, 1);
    dsOut = randn(r, dk * dv, 1);
    return this;
  }

  /** Per-token per-dim log-gates for the reference, for every mode. */
  double[] refGates() {
    final double[] out = new double[len * dk];
    for (int i = 0; i < out.length; i++) {
      out[i] =
          switch (mode) {
            case PLAIN -> 0.0;
            case CONST_DECAY -> logLambda;
            case GLA -> g[i];
          };
    }
    return out;
  }

  LinearAttentionReference.Result reference() {
    return LinearAttentionReference.run(q, k, v, dO, refGates(), sIn, dsOut, len, dk, dv);
  }

  /** Boundary-aware forward + backward with the given chunk size. */
  HeadRun run(final int chunk) {
    return run(chunk, null);
  }

  /** As {@link #run(int)}, passing forward's chunk states to backward through {@code cache}. */
  HeadRun run(final int chunk, final ChunkStates cache) {
    final ChunkedLinearAttention kern = new ChunkedLinearAttention(mode, chunk, dk, dv);
    try (Arena a = Arena.ofConfined()) {
      final MemorySegment qs = seg(a, q);
      final MemorySegment ks = seg(a, k);
      final MemorySegment vs = seg(a, v);
      final MemorySegment dos = seg(a, dO);
      final MemorySegment gs = g == null ? null : seg(a, g);
      final MemorySegment sin = sIn == null ? null : seg(a, sIn);
      final MemorySegment dsout = dsOut == null ? null : seg(a, dsOut);
      final MemorySegment os = zeros(a, len * dv);
      final MemorySegment sout = zeros(a, dk * dv);
      kern.forward(os, sout, qs, ks, vs, gs, logLambda, sin, len);
      final MemorySegment dqs = zeros(a, len * dk);
      final MemorySegment dks = zeros(a, len * dk);
      final MemorySegment dvs = zeros(a, len * dv);
      final MemorySegment dgs = zeros(a, len * dk);
      final MemorySegment dsin = zeros(a, dk * dv);
      kern.backward(
          dqs,
          dks,
          dvs,
          mode == DecayMode.GLA ? dgs : null,
          dsin,
          dos,
          qs,
          ks,
          vs,
          gs,
          logLambda,
          sin,
          dsout,
          len);
      o = arr(os);
      sOut = arr(sout);
      dq = arr(dqs);
      dkOut = arr(dks);
      dvOut = arr(dvs);
      dg = arr(dgs);
      dsIn = arr(dsin);
    }
    return this;
  }

  /** Zero-boundary pass, then the §2.3 corrections with sIn / dsOut. */
  HeadRun runDecoupled(final int chunk) {
    final ChunkedLinearAttention kern = new ChunkedLinearAttention(mode, chunk, dk, dv);
    try (Arena a = Arena.ofConfined()) {
      final MemorySegment qs = seg(a, q);
      final MemorySegment ks = seg(a, k);
      final MemorySegment vs = seg(a, v);
      final MemorySegment dos = seg(a, dO);
      final MemorySegment gs = g == null ? null : seg(a, g);
      final MemorySegment sin = seg(a, sIn);
      final MemorySegment dsout = seg(a, dsOut);
      final MemorySegment os = zeros(a, len * dv);
      kern.forward(os, null, qs, ks, vs, gs, logLambda, null, len);
      kern.correctForward(os, qs, gs, logLambda, sin, len);
      // S_out = diag(Γ) S_in + ΔS
      final MemorySegment logG = zeros(a, dk);
      final MemorySegment deltaS = zeros(a, dk * dv);
      kern.localLogDecay(logG, gs, logLambda, len);
      kern.localState(deltaS, ks, vs, gs, logLambda, len);
      final MemorySegment sout = zeros(a, dk * dv);
      io.seqpar.collectives.ScanOperator.combine(null, sin, logG, deltaS, null, sout, 1, dk, dv);
      final MemorySegment dqs = zeros(a, len * dk);
      final MemorySegment dks = zeros(a, len * dk);
      final MemorySegment dvs = zeros(a, len * dv);
      final MemorySegment dgs = zeros(a, len * dk);
      kern.backward(
          dqs,
          dks,
          dvs,
          mode == DecayMode.GLA ? dgs : null,
          null,
          dos,
          qs,
          ks,
          vs,
          gs,
          logLambda,
          null,
          null,
          len);
      kern.correctBackward(
          dqs,
          dks,
          dvs,
          mode == DecayMode.GLA ? dgs : null,
          dos,
          qs,
          ks,
          vs,
          gs,
          logLambda,
          sin,
          dsout,
          sout,
          len);
      // dS_in = diag(Γ) dS_out + ΔdS
      final MemorySegment deltaDs = zeros(a, dk * dv);
      kern.localStateGradient(deltaDs, dos, qs, gs, logLambda, len);
      final MemorySegment dsin = zeros(a, dk * dv);
      io.seqpar.collectives.ScanOperator.combine(null, dsout, logG, deltaDs, null, dsin, 1, dk, dv);
      o = arr(os);
      sOut = arr(sout);
      dq = arr(dqs);
      dkOut = arr(dks);
      dvOut = arr(dvs);
      dg = arr(dgs);
      dsIn = arr(dsin);
    }
    return this;
  }

  static float[] randn(final SplittableRandom r, final int n, final double scale) {
    final float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (scale * gauss(r));
    }
    return x;
  }

  static double gauss(final SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  static MemorySegment seg(final Arena a, final float[] x) {
    final MemorySegment s = a.allocate((long) x.length * 4, 64);
    MemorySegment.copy(x, 0, s, ValueLayout.JAVA_FLOAT, 0, x.length);
    return s;
  }

  static MemorySegment zeros(final Arena a, final int n) {
    return a.allocate((long) n * 4, 64);
  }

  static float[] arr(final MemorySegment s) {
    return s.toArray(ValueLayout.JAVA_FLOAT);
  }
}
