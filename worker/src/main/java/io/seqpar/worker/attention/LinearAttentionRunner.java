package io.seqpar.worker.attention;

import io.seqpar.tensor.FloatView;
import io.seqpar.worker.kernel.ChunkedLinearAttention;
import io.seqpar.worker.kernel.DecayMode;
import java.lang.foreign.MemorySegment;

/**
 * Runs forward and backward of causal linear attention over every (batch, head) of a problem on one
 * rank, with the loss {@code Σ dO ⊙ o} and no gradient through the final state.
 */
public final class LinearAttentionRunner {
  private LinearAttentionRunner() {}

  /** Computes all outputs of {@code in} with chunk size {@code chunk}. */
  public static AttentionOutputs run(final AttentionInputs in, final int chunk) {
    final AttentionOutputs out =
        new AttentionOutputs(in.mode(), in.batch(), in.heads(), in.tokens(), in.dk(), in.dv());
    final ChunkedLinearAttention kernel =
        new ChunkedLinearAttention(in.mode(), chunk, in.dk(), in.dv());
    final int t = in.tokens();
    for (int b = 0; b < in.batch(); b++) {
      for (int h = 0; h < in.heads(); h++) {
        final int bh = b * in.heads() + h;
        final MemorySegment q = rows(in.view("q"), bh, t, in.dk());
        final MemorySegment k = rows(in.view("k"), bh, t, in.dk());
        final MemorySegment v = rows(in.view("v"), bh, t, in.dv());
        final MemorySegment dO = rows(in.view("dO"), bh, t, in.dv());
        final MemorySegment g =
            in.mode() == DecayMode.GLA ? rows(in.gates(), bh, t, in.dk()) : null;
        final float logLambda = in.logLambda(h);
        kernel.forward(
            rows(out.view("o"), bh, t, in.dv()),
            rows(out.view("S_T"), bh, in.dk(), in.dv()),
            q,
            k,
            v,
            g,
            logLambda,
            null,
            t);
        kernel.backward(
            rows(out.view("dq"), bh, t, in.dk()),
            rows(out.view("dk"), bh, t, in.dk()),
            rows(out.view("dv"), bh, t, in.dv()),
            in.mode() == DecayMode.GLA ? rows(out.view("dg"), bh, t, in.dk()) : null,
            null,
            dO,
            q,
            k,
            v,
            g,
            logLambda,
            null,
            null,
            t);
      }
    }
    return out;
  }

  /** Rows of head {@code bh} in a {@code [B*H, rows, width]}-laid-out view. */
  static MemorySegment rows(final FloatView view, final int bh, final int rows, final int width) {
    final long bytes = (long) rows * width * Float.BYTES;
    return view.segment().asSlice(bh * bytes, bytes);
  }
}
