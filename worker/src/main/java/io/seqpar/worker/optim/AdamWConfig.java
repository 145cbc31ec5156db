package io.seqpar.worker.optim;

import io.seqpar.InvalidInputException;

/**
 * AdamW hyper-parameters (the learning rate comes from {@link LrSchedule} per step).
 *
 * @param beta1 first-moment decay, in [0, 1)
 * @param beta2 second-moment decay, in [0, 1)
 * @param eps added to sqrt(v̂), > 0
 * @param weightDecay decoupled decay coefficient λ ≥ 0 (θ ← θ − lr·λ·θ on decaying tensors)
 */
public record AdamWConfig(double beta1, double beta2, double eps, double weightDecay) {
  /** β1 = 0.9, β2 = 0.95, ε = 1e-8, λ = 0.1 (GPT-style defaults). */
  public static final AdamWConfig DEFAULTS = new AdamWConfig(0.9, 0.95, 1e-8, 0.1);

  public AdamWConfig {
    if (!(beta1 >= 0 && beta1 < 1)) {
      throw new InvalidInputException("adamw: beta1=" + beta1 + " (allowed: [0, 1))");
    }
    if (!(beta2 >= 0 && beta2 < 1)) {
      throw new InvalidInputException("adamw: beta2=" + beta2 + " (allowed: [0, 1))");
    }
    if (!(eps > 0)) {
      throw new InvalidInputException("adamw: eps=" + eps + " (allowed: > 0)");
    }
    if (!(weightDecay >= 0)) {
      throw new InvalidInputException("adamw: weightDecay=" + weightDecay + " (allowed: >= 0)");
    }
  }
}
