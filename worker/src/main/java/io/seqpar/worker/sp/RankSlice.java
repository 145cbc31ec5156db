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

  public RankSlice(final AttentionInputs in, final int start, final int len) {
    this.start = start;
    this.len = len;
    this.heads = in.batch() * in.heads();
    this.dk = in.dk();
    this.dv = in.dv();
    this.mode = in.mode();
    this.logLambda = new float[heads];
    for (int bh = 0; bh < heads; bh++) {
      logLambda[bh] = in.logLambda(bh % in.heads());
    }
    final TensorArena.Builder plan =
        TensorArena.builder("rank slice [" + start + ", " + (start + len) + ")");
    for (final String n : new String[] {"q", "k", "g", "dq", "dk", "dg"}) {
      plan.add(n, heads, len, dk);
    }
    for (final String n : new String[] {"v", "dO", "o", "dv"}) {
      plan.add(n, heads, len, dv);
    }
    this.arena = plan.build();
    gather(in.view("q"), arena.view("q"), in.tokens(), dk);
    gather(in.view("k"), arena.view("k"), in.tokens(), dk);
    gather(in.view("v"), arena.view("v"), in.tokens(), dv);
    gather(in.view("dO"), arena.view("dO"), in.tokens(), dv);
    if (mode == DecayMode.GLA) {
      gather(in.gates(), arena.view("g"), in.tokens(), dk);
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
