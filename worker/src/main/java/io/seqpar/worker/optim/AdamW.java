package io.seqpar.worker.optim;

import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.TensorArena;
import io.seqpar.worker.model.ParameterSet;
import java.util.List;

/**
 * AdamW with decoupled weight decay (Loshchilov &amp; Hutter; PyTorch {@code torch.optim.AdamW}
 * semantics). For step t = 1, 2, … and each parameter θ with gradient g (already all-reduced and
 * multiplied by the clip factor {@code gradScale}):
 *
 * <pre>
 *   θ ← θ − lr·λ·θ                     only where {@link ParameterSet#decays}: matrices, not norms/biases
 *   m ← β1 m + (1 − β1) g
 *   v ← β2 v + (1 − β2) g²
 *   θ ← θ − lr · (m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + ε)
 * </pre>
 *
 * The moments live in one arena ({@code m.<name>}, {@code v.<name>}); every rank of a
 * sequence-parallel group holds the same replicated copy and applies the same update. Float32
 * storage; the bias corrections are computed in double once per step.
 */
public final class AdamW implements AutoCloseable {
  private final ParameterSet params;
  private final AdamWConfig cfg;
  private final TensorArena moments;
  private final List<String> names;
  private final FloatView[] p;
  private final FloatView[] g;
  private final FloatView[] m;
  private final FloatView[] v;
  private final boolean[] decay;

  public AdamW(final ParameterSet params, final AdamWConfig cfg) {
    this.params = params;
    this.cfg = cfg;
    this.names = params.names();
    final TensorArena.Builder b = TensorArena.builder("adamw-moments");
    for (final String n : names) {
      b.add("m." + n, params.param(n).shape());
      b.add("v." + n, params.param(n).shape());
    }
    this.moments = b.build();
    final int k = names.size();
    p = new FloatView[k];
    g = new FloatView[k];
    m = new FloatView[k];
    v = new FloatView[k];
    decay = new boolean[k];
    for (int i = 0; i < k; i++) {
      final String n = names.get(i);
      p[i] = params.param(n);
      g[i] = params.grad(n);
      m[i] = moments.view("m." + n);
      v[i] = moments.view("v." + n);
      decay[i] = params.decays(n);
    }
  }

  /**
   * Applies one update.
   *
   * @param step 1-based step number t (for the bias corrections)
   * @param lr learning rate of this step ({@link LrSchedule#lr})
   * @param gradScale multiplies every gradient first ({@link GradientClipper#scale}; 1 = none)
   */
  public void step(final long step, final double lr, final double gradScale) {
    if (step < 1) {
      throw new IllegalArgumentException("adamw step=" + step + " (1-based)");
    }
    final float b1 = (float) cfg.beta1();
    final float b2 = (float) cfg.beta2();
    final float c1 = (float) (1.0 / (1.0 - Math.pow(cfg.beta1(), step)));
    final float c2 = (float) (1.0 / (1.0 - Math.pow(cfg.beta2(), step)));
    final float eps = (float) cfg.eps();
    final float lrF = (float) lr;
    final float scale = (float) gradScale;
    for (int i = 0; i < p.length; i++) {
      final float shrink = decay[i] ? (float) (1.0 - lr * cfg.weightDecay()) : 1f;
      for (long j = 0; j < p[i].count(); j++) {
        final float gj = g[i].get(j) * scale;
        final float mj = b1 * m[i].get(j) + (1f - b1) * gj;
        final float vj = b2 * v[i].get(j) + (1f - b2) * gj * gj;
        m[i].set(j, mj);
        v[i].set(j, vj);
        final float theta = p[i].get(j) * shrink;
        p[i].set(j, theta - lrF * (mj * c1) / ((float) Math.sqrt(vj * c2) + eps));
      }
    }
  }

  /** The moment views ({@code m.<name>}, {@code v.<name>}), for checkpoints. */
  public TensorArena moments() {
    return moments;
  }

  public ParameterSet parameters() {
    return params;
  }

  @Override
  public void close() {
    moments.close();
  }
}
