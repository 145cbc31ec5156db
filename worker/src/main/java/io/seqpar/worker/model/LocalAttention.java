package io.seqpar.worker.model;

import io.seqpar.tensor.FloatView;
import io.seqpar.worker.kernel.ChunkedLinearAttention;
import java.lang.foreign.MemorySegment;

/**
 * Single-rank {@link AttentionOp}: every (sequence, head) runs {@link ChunkedLinearAttention} from
 * a zero state, with no gradient through the final state. One kernel (and its workspaces) per
 * instance; not thread-safe.
 */
public final class LocalAttention implements AttentionOp {
  private final ChunkedLinearAttention kernel;

  public LocalAttention(final ModelConfig config) {
    this.kernel =
        new ChunkedLinearAttention(config.decay(), config.chunk(), config.dk(), config.dv());
  }

  @Override
  public void forward(
      final int layer,
      final FloatView o,
      final FloatView q,
      final FloatView k,
      final FloatView v,
      final FloatView g,
      final float[] logLambda) {
    final int batch = q.dim(0);
    final int heads = q.dim(1);
    final int len = q.dim(2);
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < heads; h++) {
        final int bh = b * heads + h;
        kernel.forward(
            head(o, bh),
            null,
            head(q, bh),
            head(k, bh),
            head(v, bh),
            g == null ? null : head(g, bh),
            logLambda == null ? 0f : logLambda[h],
            null,
            len);
      }
    }
  }

  @Override
  public void backward(
      final int layer,
      final FloatView dq,
      final FloatView dk,
      final FloatView dv,
      final FloatView dg,
      final FloatView dO,
      final FloatView q,
      final FloatView k,
      final FloatView v,
      final FloatView g,
      final float[] logLambda) {
    final int batch = q.dim(0);
    final int heads = q.dim(1);
    final int len = q.dim(2);
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < heads; h++) {
        final int bh = b * heads + h;
        kernel.backward(
            head(dq, bh),
            head(dk, bh),
            head(dv, bh),
            dg == null ? null : head(dg, bh),
            null,
            head(dO, bh),
            head(q, bh),
            head(k, bh),
            head(v, bh),
            g == null ? null : head(g, bh),
            logLambda == null ? 0f : logLambda[h],
            null,
            null,
            len);
      }
    }
  }

  /** The contiguous {@code [L, d]} slice of (b, h) = {@code bh} in a {@code [B, H, L, d]} view. */
  static MemorySegment head(final FloatView view, final int bh) {
    final long bytes = (long) view.dim(2) * view.dim(3) * Float.BYTES;
    return view.segment().asSlice(bh * bytes, bytes);
  }
}
