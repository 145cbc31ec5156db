package io.seqpar.worker.sp;

import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.ScanShape;
import io.seqpar.tensor.FloatView;
import io.seqpar.worker.model.AttentionOp;
import io.seqpar.worker.model.ModelConfig;

/**
 * The model's attention over a sequence sharded across the ranks of {@code comm}: one {@link
 * SequenceParallelAttention} per layer (each caches its layer's boundary states between forward and
 * backward), all on one communicator. The model's {@code [B, H, L, d]} tensors are the operator's
 * {@code [B·H, L, d]}, so nothing is copied.
 */
public final class SpAttentionOp implements AttentionOp, AutoCloseable {
  private final SequenceParallelAttention[] layers;
  private final float[] headLogLambda; // [B·H]
  private final int batch;
  private final int heads;

  /** Every rank of the group must build it with the same arguments. */
  public SpAttentionOp(
      final ModelConfig cfg,
      final int batch,
      final Communicator comm,
      final SpStrategy requested,
      final int blocks,
      final SpCostModel model) {
    this.batch = batch;
    this.heads = cfg.heads();
    final int bh = batch * cfg.heads();
    final int ranks = comm == null ? 1 : comm.ranks();
    final SpStrategy strategy =
        SequenceParallelAttention.resolve(
            requested, ranks, new ScanShape(bh, cfg.dk(), cfg.dv()), model);
    this.layers = new SequenceParallelAttention[cfg.layers()];
    for (int l = 0; l < layers.length; l++) {
      layers[l] =
          new SequenceParallelAttention(
              cfg.decay(), cfg.chunk(), bh, cfg.dk(), cfg.dv(), comm, strategy, blocks);
    }
    this.headLogLambda = new float[bh];
  }

  /** The operator of one layer (for its accounting). */
  public SequenceParallelAttention layer(final int layer) {
    return layers[layer];
  }

  public int layers() {
    return layers.length;
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
    layers[layer].forward(o, q, k, v, g, expand(logLambda), q.dim(2));
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
    layers[layer].backward(dq, dk, dv, dg, dO, q, k, v, g, expand(logLambda), q.dim(2));
  }

  /** ln λ per (b, h) from ln λ per h; zeros when there is no constant decay. */
  private float[] expand(final float[] logLambda) {
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < heads; h++) {
        headLogLambda[b * heads + h] = logLambda == null ? 0f : logLambda[h];
      }
    }
    return headLogLambda;
  }

  @Override
  public void close() {
    for (final SequenceParallelAttention l : layers) {
      l.close();
    }
  }
}
