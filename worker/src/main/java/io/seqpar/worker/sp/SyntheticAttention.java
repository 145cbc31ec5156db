package io.seqpar.worker.sp;

import io.seqpar.tensor.FloatView;
import io.seqpar.worker.kernel.DecayMode;

/**
 * A deterministic attention problem defined per position, so a rank can generate just its slice of
 * a million-token sequence and a checker can regenerate any token without materialising the rest.
 * Every value is a hash of (seed, tensor, head, token, dim): q, k uniform in ±0.25, v and dO in ±1,
 * GLA log-gates {@code −log(1 + e^{−x})/16} with x uniform in ±2 (a in ~(0.88, 0.99)), and λ_h from
 * 0.99 to 0.999 across heads for const_decay.
 */
public record SyntheticAttention(DecayMode mode, long seed, int heads, int dk, int dv) {
  /** Tensor ids mixed into the hash. */
  public static final int Q = 1;

  public static final int K = 2;
  public static final int V = 3;
  public static final int DO = 4;
  public static final int G = 5;

  /** ln λ of head h (const_decay). */
  public float logLambda(final int h) {
    final double lambda = 0.99 + 0.009 * (heads == 1 ? 0.5 : (double) h / (heads - 1));
    return (float) Math.log(lambda);
  }

  /** Value of tensor {@code t} at (head, token, dim). */
  public float value(final int t, final int h, final long token, final int i) {
    final double u = uniform(t, h, token, i);
    return switch (t) {
      case Q, K -> (float) (0.25 * u);
      case V, DO -> (float) u;
      case G -> (float) (-Math.log1p(Math.exp(-2 * u)) / 16);
      default -> throw new IllegalArgumentException("tensor " + t);
    };
  }

  /** Fills {@code view [heads, len, width]} with tensor {@code t} for tokens [start, start+len). */
  public void fill(final int t, final FloatView view, final long start, final int len) {
    final int width = view.dim(2);
    long idx = 0;
    for (int h = 0; h < heads; h++) {
      for (int r = 0; r < len; r++) {
        for (int i = 0; i < width; i++) {
          view.set(idx++, value(t, h, start + r, i));
        }
      }
    }
  }

  private double uniform(final int t, final int h, final long token, final int i) {
    long z = seed * 0x9E3779B97F4A7C15L + t;
    z = z * 0xBF58476D1CE4E5B9L + h;
    z = z * 0x94D049BB133111EBL + token;
    z = z * 0x9E3779B97F4A7C15L + i;
    z ^= z >>> 31;
    z *= 0xBF58476D1CE4E5B9L;
    z ^= z >>> 29;
    z *= 0x94D049BB133111EBL;
    z ^= z >>> 32;
    return ((z >>> 11) * 0x1.0p-53) * 2 - 1;
  }
}
