package io.seqpar.worker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.tensor.FloatView;
import io.seqpar.worker.kernel.DecayMode;
import io.seqpar.worker.sp.SoftmaxStrategy;
import io.seqpar.worker.sp.SpSoftmaxAttentionOp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 9 acceptance: a tiny hybrid model ({@code LLLS}, 4 layers; the softmax layer with RoPE) has
 * float32 gradients equal to float64 central finite differences of the independent {@link
 * LanguageModelReference} — two random unit directions per parameter tensor and its largest entry —
 * and its float32 loss equals the float64 loss.
 */
class HybridGradientCheckTest {
  private static final int T = 40;
  private static final int B = 2;
  private static final double EPS = 1e-4;

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"const_decay, LLLS", "gla, LSLS"})
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void everyGradientMatchesFloat64FiniteDifferences(final String mode, final String pattern) {
    final ModelConfig c =
        new ModelConfig(4, 16, 2, 8, 8, 2, 64, DecayMode.fromId(mode), 8, false, pattern);
    final Random rng = new Random(7);
    try (ParameterSet ps = new ParameterSet(c);
        SpSoftmaxAttentionOp softmax =
            new SpSoftmaxAttentionOp(c, B, T, null, SoftmaxStrategy.RING);
        LanguageModel model =
            new LanguageModel(ps, B, T, new HybridAttention(c, new LocalAttention(c), softmax))) {
      GradientCheckTest.randomize(ps, rng);
      final int[] tokens = new int[B * T];
      final int[] targets = new int[B * T];
      for (int i = 0; i < B * T; i++) {
        tokens[i] = rng.nextInt(c.vocab());
        targets[i] = rng.nextInt(c.vocab());
      }
      ps.zeroGradients();
      final double loss = model.forward(tokens, targets, (long) B * T);
      model.backward();
      final Map<String, double[]> p64 = new LinkedHashMap<>();
      ps.paramViews().forEach((n, v) -> p64.put(n, toDouble(v.toArray())));
      final LanguageModelReference ref = new LanguageModelReference(c, p64);
      assertEquals(ref.loss(tokens, targets, B, T, (long) B * T), loss, 1e-5 * loss, "loss");
      final List<String> failures = new ArrayList<>();
      for (final String name : ps.names()) {
        check(name, ps.grad(name), p64.get(name), ref, tokens, targets, rng, failures);
      }
      assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
  }

  private static void check(
      final String name,
      final FloatView gradView,
      final double[] theta,
      final LanguageModelReference ref,
      final int[] tokens,
      final int[] targets,
      final Random rng,
      final List<String> failures) {
    final double[] g = toDouble(gradView.toArray());
    double gNorm = 0;
    int top = 0;
    for (int i = 0; i < g.length; i++) {
      gNorm += g[i] * g[i];
      top = Math.abs(g[i]) > Math.abs(g[top]) ? i : top;
    }
    gNorm = Math.sqrt(gNorm);
    assertTrue(gNorm > 0, name + ": gradient is identically zero");
    final double tol = 2e-5;
    for (int rep = 0; rep < 3; rep++) {
      final double[] u = new double[g.length];
      if (rep < 2) {
        double un = 0;
        for (int i = 0; i < u.length; i++) {
          u[i] = rng.nextGaussian();
          un += u[i] * u[i];
        }
        for (int i = 0; i < u.length; i++) {
          u[i] /= Math.sqrt(un);
        }
      } else {
        u[top] = 1;
      }
      double an = 0;
      for (int i = 0; i < u.length; i++) {
        an += g[i] * u[i];
      }
      final double fd = directional(theta, u, ref, tokens, targets);
      if (!(Math.abs(an - fd) <= tol * gNorm)) {
        failures.add(
            String.format(
                "%s check %d: analytic %.9g, fd %.9g, |diff|/|g| %.3e",
                name, rep, an, fd, Math.abs(an - fd) / gNorm));
      }
    }
  }

  private static double directional(
      final double[] theta,
      final double[] u,
      final LanguageModelReference ref,
      final int[] tokens,
      final int[] targets) {
    final double[] saved = theta.clone();
    for (int i = 0; i < theta.length; i++) {
      theta[i] = saved[i] + EPS * u[i];
    }
    final double plus = ref.loss(tokens, targets, B, T, (long) B * T);
    for (int i = 0; i < theta.length; i++) {
      theta[i] = saved[i] - EPS * u[i];
    }
    final double minus = ref.loss(tokens, targets, B, T, (long) B * T);
    System.arraycopy(saved, 0, theta, 0, theta.length);
    return (plus - minus) / (2 * EPS);
  }

  private static double[] toDouble(final float[] x) {
    final double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i];
    }
    return y;
  }
}
