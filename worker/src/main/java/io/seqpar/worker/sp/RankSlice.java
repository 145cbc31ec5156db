package io.seqpar.worker.sp;

import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.TensorArena;
import io.seqpar.worker.attention.AttentionInputs;
import io.seqpar.worker.attention.AttentionOutputs;
import io.seqpar.worker.kernel.DecayMode;
import java.lang.foreign.MemorySegment;

/**
 * One rank's tokens {@code [start, start+len)} of a {@code [B,H,T,d]} problem, re-laid out as
 * {@code [B·H, len, d]} in the rank's own arena, with room for its outputs and gradients.
 */
public final class RankSlice implements AutoCloseable {
  private final int start;
  private final int len;
  private final int heads;
  private final int dk;
  private final int dv;
  private final DecayMode mode;
  private final float[] logLambda;
  private final TensorArena arena;

  private RankSlice(
      final DecayMode mode,
      final int heads,
      final int dk,
      final int dv,
      final int start,
      final int len,
      final float[] logLambda) {
    this.start = start;
    this.len = len;
    this.heads = heads;
    this.dk = dk;
    this.dv = dv;
    this.mode = mode;
    this.logLambda = logLambda;
    final TensorArena.Builder plan =
        TensorArena.builder("rank slice [" + start + ", " + (start + len) + ")");
    for (final String n : new String[] {"q", "k", "g", "dq", "dk", "dg"}) {
      plan.add(n, heads, len, dk);
    }
    for (final String n : new String[] {"v", "dO", "o", "dv"}) {
      plan.add(n, heads, len, dv);
    }
    this.arena = plan.build();
  }

  /** Tokens [start, start+len) of a file problem. */
  public RankSlice(final AttentionInputs in, final int start, final int len) {
    this(in.mode(), in.batch() * in.heads(), in.dk(), in.dv(), start, len, headLambdas(in));
    gather(in.view("q"), arena.view("q"), in.tokens(), dk);
    gather(in.view("k"), arena.view("k"), in.tokens(), dk);
    gather(in.view("v"), arena.view("v"), in.tokens(), dv);
    gather(in.view("dO"), arena.view("dO"), in.tokens(), dv);
    if (mode == DecayMode.GLA) {
      gather(in.gates(), arena.view("g"), in.tokens(), dk);
    }
  }

  /** Tokens [start, start+len) of a synthetic problem, generated here. */
  public static RankSlice synthetic(final SyntheticAttention p, final long start, final int len) {
    final float[] ll = new float[p.heads()];
    for (int h = 0; h < p.heads(); h++) {
      ll[h] = p.mode() == DecayMode.CONST_DECAY ? p.logLambda(h) : 0f;
    }
    final RankSlice s = new RankSlice(p.mode(), p.heads(), p.dk(), p.dv(), 0, len, ll);
    p.fill(SyntheticAttention.Q, s.arena.view("q"), start, len);
    p.fill(SyntheticAttention.K, s.arena.view("k"), start, len);
    p.fill(SyntheticAttention.V, s.arena.view("v"), start, len);
    p.fill(SyntheticAttention.DO, s.arena.view("dO"), start, len);
    if (p.mode() == DecayMode.GLA) {
      p.fill(SyntheticAttention.G, s.arena.view("g"), start, len);
    }
    return s;
  }

  private static float[] headLambdas(final AttentionInputs in) {
    final float[] out = new float[in.batch() * in.heads()];
    for (int bh = 0; bh < out.length; bh++) {
      out[bh] = in.logLambda(bh % in.heads());
    }
    return out;
  }

  /** Output names of this slice (o, dq, dk, dv, and dg for gla). */
  public java.util.List<String> outputNames() {
    return mode == DecayMode.GLA
        ? java.util.List.of("o", "dq", "dk", "dv", "dg")
        : java.util.List.of("o", "dq", "dk", "dv");
  }

  /** Copies a slice-shaped output {@code [heads, len, w]} into the full outputs. */
  public static void scatter(
      final MemorySegment slice,
      final FloatView full,
      final int heads,
      final int tokens,
      final int start,
      final int len,
      final int w) {
    final long rowBytes = (long) w * Float.BYTES;
    for (int bh = 0; bh < heads; bh++) {
      MemorySegment.copy(
          slice,
          (long) bh * len * rowBytes,
          full.segment(),
          ((long) bh * tokens + start) * rowBytes,
          len * rowBytes);
    }
  }

  public int len() {
    return len;
  }

  public int heads() {
    return heads;
  }

  public float[] logLambda() {
    return logLambda;
  }

  /** q, k, v, dO, g (gla only; else null), o, dq, dk, dv, dg. */
  public FloatView view(final String name) {
    if (name.equals("g") && mode != DecayMode.GLA) {
      return null;
    }
    return arena.view(name);
  }

  /** Runs forward and backward of {@code op} on this slice. */
  public void run(final SequenceParallelAttention op) {
    op.forward(view("o"), view("q"), view("k"), view("v"), view("g"), logLambda, len);
    op.backward(
        view("dq"),
        view("dk"),
        view("dv"),
        mode == DecayMode.GLA ? view("dg") : null,
        view("dO"),
        view("q"),
        view("k"),
        view("v"),
        view("g"),
        logLambda,
        len);
  }

  /** Writes this slice's o, dq, dk, dv (dg) into the full outputs at its token range. */
  public void scatterInto(final AttentionOutputs out, final int tokens) {
    scatter(arena.view("o"), out.view("o"), tokens, dv);
    scatter(arena.view("dq"), out.view("dq"), tokens, dk);
    scatter(arena.view("dk"), out.view("dk"), tokens, dk);
    scatter(arena.view("dv"), out.view("dv"), tokens, dv);
    if (mode == DecayMode.GLA) {
      scatter(arena.view("dg"), out.view("dg"), tokens, dk);
    }
  }

  private void gather(final FloatView full, final FloatView slice, final int tokens, final int w) {
    final long rowBytes = (long) w * Float.BYTES;
    for (int bh = 0; bh < heads; bh++) {
      MemorySegment.copy(
          full.segment(),
          ((long) bh * tokens + start) * rowBytes,
          slice.segment(),
          (long) bh * len * rowBytes,
          len * rowBytes);
    }
  }

  private void scatter(final FloatView slice, final FloatView full, final int tokens, final int w) {
    final long rowBytes = (long) w * Float.BYTES;
    for (int bh = 0; bh < heads; bh++) {
      MemorySegment.copy(
          slice.segment(),
          (long) bh * len * rowBytes,
          full.segment(),
          ((long) bh * tokens + start) * rowBytes,
          len * rowBytes);
    }
  }

  @Override
  public void close() {
    arena.close();
  }
}
