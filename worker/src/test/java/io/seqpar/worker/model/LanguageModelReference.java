package io.seqpar.worker.model;

import io.seqpar.worker.kernel.DecayMode;
import java.util.Map;

/**
 * Float64 twin of {@link LanguageModel}'s forward, written independently: plain loops over doubles,
 * the attention as the token-by-token recurrence {@code S_t = diag(α_t) S_{t-1} + k_tᵀ v_t}, {@code
 * o_t = q_t S_t}. Parameters are read from {@code params} by name on every call, so a test can
 * perturb them in place for finite differences.
 */
final class LanguageModelReference {
  private final ModelConfig c;
  private final Map<String, double[]> p;

  LanguageModelReference(final ModelConfig c, final Map<String, double[]> params) {
    this.c = c;
    this.p = params;
  }

  /** Σ CE over all B·L tokens / tokensGlobal. */
  double loss(
      final int[] tokens, final int[] targets, final int batch, final int len, final long global) {
    final int d = c.dModel();
    double total = 0;
    for (int b = 0; b < batch; b++) {
      double[][] x = new double[len][d];
      final double[] e = p.get("embed.weight");
      for (int t = 0; t < len; t++) {
        System.arraycopy(e, tokens[b * len + t] * d, x[t], 0, d);
      }
      for (int i = 0; i < c.layers(); i++) {
        x = block(i, x);
      }
      final double[] wlm = p.get(c.tieEmbeddings() ? "embed.weight" : "lm_head.weight");
      for (int t = 0; t < len; t++) {
        final double[] xf = rms(x[t], p.get("final_norm.weight"));
        final double[] logits = linear(xf, wlm, null, 0, c.vocab());
        double max = Double.NEGATIVE_INFINITY;
        for (final double l : logits) {
          max = Math.max(max, l);
        }
        double s = 0;
        for (final double l : logits) {
          s += Math.exp(l - max);
        }
        total += max + Math.log(s) - logits[targets[b * len + t]];
      }
    }
    return total / global;
  }

  private double[][] block(final int layer, final double[][] x) {
    if (c.isSoftmax(layer)) {
      return softmaxBlock(layer, x);
    }
    final String n = "blocks." + layer + ".";
    final int len = x.length;
    final int hs = c.heads();
    final int dk = c.dk();
    final int dv = c.dv();
    final double[][] on = new double[len][hs * dv];
    for (int hd = 0; hd < hs; hd++) {
      final double[][] s = new double[dk][dv];
      for (int t = 0; t < len; t++) {
        final double[] h = rms(x[t], p.get(n + "attn_norm.weight"));
        final double[] q = linear(h, p.get(n + "attn.wq"), null, hd * dk, dk);
        final double[] k = linear(h, p.get(n + "attn.wk"), null, hd * dk, dk);
        final double[] v = linear(h, p.get(n + "attn.wv"), null, hd * dv, dv);
        final double scale = 1.0 / Math.sqrt(dk);
        final double[] alpha = new double[dk];
        for (int i = 0; i < dk; i++) {
          alpha[i] =
              switch (c.decay()) {
                case PLAIN -> 1.0;
                case CONST_DECAY -> Math.exp(c.logLambda(hd));
                case GLA -> 1.0; // set below
              };
        }
        if (c.decay() == DecayMode.GLA) {
          final double[] a = linear(h, p.get(n + "attn.wg"), p.get(n + "attn.bg"), hd * dk, dk);
          for (int i = 0; i < dk; i++) {
            final double logsig = Math.min(a[i], 0) - Math.log1p(Math.exp(-Math.abs(a[i])));
            alpha[i] = Math.exp(logsig / 16.0);
          }
        }
        final double[] o = new double[dv];
        for (int i = 0; i < dk; i++) {
          for (int j = 0; j < dv; j++) {
            s[i][j] = alpha[i] * s[i][j] + k[i] * v[j];
            o[j] += q[i] * scale * s[i][j];
          }
        }
        System.arraycopy(rms(o, p.get(n + "attn.head_norm.weight")), 0, on[t], hd * dv, dv);
      }
    }
    return residualAndMlp(n, x, on);
  }

  /**
   * A softmax layer: q = RoPE(h Wq)·dk^-1/2, k = RoPE(h Wk) on positions 0..len−1, v = h Wv, o =
   * dense causal softmax attention (diagonal included), then the same head norm, Wo and MLP.
   */
  private double[][] softmaxBlock(final int layer, final double[][] x) {
    final String n = "blocks." + layer + ".";
    final int len = x.length;
    final int dk = c.dk();
    final int dv = c.dv();
    final double[][] on = new double[len][c.heads() * dv];
    for (int hd = 0; hd < c.heads(); hd++) {
      final double[][] q = new double[len][];
      final double[][] k = new double[len][];
      final double[][] v = new double[len][];
      for (int t = 0; t < len; t++) {
        final double[] h = rms(x[t], p.get(n + "attn_norm.weight"));
        q[t] = rope(linear(h, p.get(n + "attn.wq"), null, hd * dk, dk), t, 1.0 / Math.sqrt(dk));
        k[t] = rope(linear(h, p.get(n + "attn.wk"), null, hd * dk, dk), t, 1.0);
        v[t] = linear(h, p.get(n + "attn.wv"), null, hd * dv, dv);
      }
      for (int t = 0; t < len; t++) {
        final double[] z = new double[t + 1];
        double mx = Double.NEGATIVE_INFINITY;
        for (int j = 0; j <= t; j++) {
          for (int i = 0; i < dk; i++) {
            z[j] += q[t][i] * k[j][i];
          }
          mx = Math.max(mx, z[j]);
        }
        double sum = 0;
        for (int j = 0; j <= t; j++) {
          z[j] = Math.exp(z[j] - mx);
          sum += z[j];
        }
        final double[] o = new double[dv];
        for (int j = 0; j <= t; j++) {
          for (int i = 0; i < dv; i++) {
            o[i] += z[j] / sum * v[j][i];
          }
        }
        System.arraycopy(rms(o, p.get(n + "attn.head_norm.weight")), 0, on[t], hd * dv, dv);
      }
    }
    return residualAndMlp(n, x, on);
  }

  /** Rotate-half RoPE at position {@code pos}, times {@code scale}. */
  private static double[] rope(final double[] x, final int pos, final double scale) {
    final int half = x.length / 2;
    final double[] y = new double[x.length];
    for (int i = 0; i < half; i++) {
      final double a = pos * Math.pow(10_000.0, -2.0 * i / x.length);
      y[i] = scale * (x[i] * Math.cos(a) - x[i + half] * Math.sin(a));
      y[i + half] = scale * (x[i] * Math.sin(a) + x[i + half] * Math.cos(a));
    }
    return y;
  }

  private double[][] residualAndMlp(final String n, final double[][] x, final double[][] on) {
    final int len = x.length;
    final double[][] y = new double[len][];
    for (int t = 0; t < len; t++) {
      final double[] xm = add(x[t], linear(on[t], p.get(n + "attn.wo"), null, 0, c.dModel()));
      final double[] u = rms(xm, p.get(n + "mlp_norm.weight"));
      final double[] a1 = linear(u, p.get(n + "mlp.w1"), null, 0, c.hidden());
      final double[] a3 = linear(u, p.get(n + "mlp.w3"), null, 0, c.hidden());
      final double[] m = new double[c.hidden()];
      for (int j = 0; j < m.length; j++) {
        m[j] = a1[j] / (1 + Math.exp(-a1[j])) * a3[j];
      }
      y[t] = add(xm, linear(m, p.get(n + "mlp.w2"), null, 0, c.dModel()));
    }
    return y;
  }

  /** Rows {@code [row0, row0+out)} of {@code w [*, in]}: {@code y_j = Σ_i x_i w[row0+j, i] + b}. */
  private static double[] linear(
      final double[] x, final double[] w, final double[] bias, final int row0, final int out) {
    final int in = x.length;
    final double[] y = new double[out];
    for (int j = 0; j < out; j++) {
      double s = bias == null ? 0 : bias[row0 + j];
      for (int i = 0; i < in; i++) {
        s += x[i] * w[(row0 + j) * in + i];
      }
      y[j] = s;
    }
    return y;
  }

  private static double[] rms(final double[] x, final double[] w) {
    double ms = 0;
    for (final double v : x) {
      ms += v * v;
    }
    final double r = 1.0 / Math.sqrt(ms / x.length + ModelConfig.NORM_EPS);
    final double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i] * r * w[i];
    }
    return y;
  }

  private static double[] add(final double[] a, final double[] b) {
    final double[] y = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      y[i] = a[i] + b[i];
    }
    return y;
  }
}
