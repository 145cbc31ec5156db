package io.seqpar.worker.model;

import io.seqpar.InvalidInputException;
import io.seqpar.worker.kernel.DecayMode;

/**
 * The shape of the linear-attention language model (docs/MODEL.md).
 *
 * @param layers number of blocks, ≥ 1
 * @param dModel residual width D
 * @param heads attention heads H
 * @param dk key/query dim per head
 * @param dv value dim per head
 * @param mlpRatio MLP hidden width = mlpRatio · D
 * @param vocab vocabulary size V (256 for bytes)
 * @param decay how the attention state decays
 * @param chunk chunk size of the linear-attention kernel
 * @param tieEmbeddings true: the LM head reuses {@code embed.weight} (no {@code lm_head.weight})
 * @param layerPattern layer kinds, repeated over the layers: {@code L} linear attention, {@code S}
 *     causal softmax attention with RoPE (e.g. {@code LLLS}); {@code "L"} is the all-linear model
 */
public record ModelConfig(
    int layers,
    int dModel,
    int heads,
    int dk,
    int dv,
    int mlpRatio,
    int vocab,
    DecayMode decay,
    int chunk,
    boolean tieEmbeddings,
    String layerPattern) {

  /** RMSNorm epsilon, everywhere. */
  public static final float NORM_EPS = 1e-6f;

  /** GLA gate temperature τ: {@code g = logsigmoid(h Wg + bg) / τ}. */
  public static final float GATE_TEMPERATURE = 16f;

  /** The all-linear model (layer pattern {@code "L"}). */
  public ModelConfig(
      final int layers,
      final int dModel,
      final int heads,
      final int dk,
      final int dv,
      final int mlpRatio,
      final int vocab,
      final DecayMode decay,
      final int chunk,
      final boolean tieEmbeddings) {
    this(layers, dModel, heads, dk, dv, mlpRatio, vocab, decay, chunk, tieEmbeddings, "L");
  }

  public ModelConfig {
    positive("layers", layers);
    positive("dModel", dModel);
    positive("heads", heads);
    positive("dk", dk);
    positive("dv", dv);
    positive("mlpRatio", mlpRatio);
    positive("chunk", chunk);
    if (vocab < 2) {
      throw new InvalidInputException("model config: vocab=" + vocab + " (allowed: >= 2)");
    }
    if (decay == null) {
      throw new InvalidInputException("model config: decay is missing (plain, const_decay, gla)");
    }
    if (layerPattern == null || !layerPattern.matches("[LS]+")) {
      throw new InvalidInputException(
          "model config: layerPattern='" + layerPattern + "' (allowed: one or more of L, S)");
    }
    if (layerPattern.indexOf('S') >= 0 && dk % 2 != 0) {
      throw new InvalidInputException(
          "model config: dk=" + dk + " must be even for the RoPE of softmax layers");
    }
  }

  /** Whether layer {@code layer} is a softmax-attention layer ({@code S} in the pattern). */
  public boolean isSoftmax(final int layer) {
    return layerPattern.charAt(layer % layerPattern.length()) == 'S';
  }

  /** Whether any layer is a softmax-attention layer. */
  public boolean hasSoftmax() {
    for (int l = 0; l < layers; l++) {
      if (isSoftmax(l)) {
        return true;
      }
    }
    return false;
  }

  /** Whether layer {@code layer} has GLA gate projections (linear GLA layers only). */
  public boolean gated(final int layer) {
    return decay == DecayMode.GLA && !isSoftmax(layer);
  }

  /** MLP hidden width F = mlpRatio · D. */
  public int hidden() {
    return mlpRatio * dModel;
  }

  /** The query scale dk^-1/2. */
  public float queryScale() {
    return (float) (1.0 / Math.sqrt(dk));
  }

  /**
   * The constant-decay log rate of head {@code h}: {@code ln λ_h = -2^(-8(h+1)/H)} (LASP slopes).
   */
  public float logLambda(final int h) {
    return (float) -Math.pow(2.0, -8.0 * (h + 1) / heads);
  }

  private static void positive(final String field, final int value) {
    if (value < 1) {
      throw new InvalidInputException("model config: " + field + "=" + value + " (allowed: >= 1)");
    }
  }
}
