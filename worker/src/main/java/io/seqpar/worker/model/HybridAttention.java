package io.seqpar.worker.model;

import io.seqpar.tensor.FloatView;

/**
 * The attention of a hybrid model: each layer goes to the linear-attention operator or to the
 * softmax-attention operator by {@link ModelConfig#isSoftmax}. Blocks keep calling one {@link
 * AttentionOp} with their layer index, so the block code does not change.
 */
public final class HybridAttention implements AttentionOp {
  private final ModelConfig config;
  private final AttentionOp linear;
  private final AttentionOp softmax;

  public HybridAttention(
      final ModelConfig config, final AttentionOp linear, final AttentionOp softmax) {
    this.config = config;
    this.linear = linear;
    this.softmax = softmax;
  }

  private AttentionOp op(final int layer) {
    return config.isSoftmax(layer) ? softmax : linear;
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
    op(layer).forward(layer, o, q, k, v, g, logLambda);
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
    op(layer).backward(layer, dq, dk, dv, dg, dO, q, k, v, g, logLambda);
  }
}
