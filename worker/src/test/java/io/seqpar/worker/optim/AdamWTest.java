package io.seqpar.worker.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.tensor.FloatView;
import io.seqpar.worker.kernel.DecayMode;
import io.seqpar.worker.model.ModelConfig;
import io.seqpar.worker.model.ParameterSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AdamWTest {
  private static final ModelConfig TINY =
      new ModelConfig(1, 2, 1, 1, 1, 1, 4, DecayMode.GLA, 4, false);

  @Test
  void twoStepsMatchHandComputation() {
    try (ParameterSet ps = new ParameterSet(TINY);
        AdamW opt = new AdamW(ps, new AdamWConfig(0.9, 0.99, 1e-8, 0.1))) {
      final FloatView w = ps.param("blocks.0.attn.wq"); // [1, 2]: decays
      final FloatView n = ps.param("blocks.0.attn_norm.weight"); // [2]: no decay
      w.copyFrom(new float[] {1.0f, -2.0f});
      n.copyFrom(new float[] {1.0f, 1.0f});
      ps.grad("blocks.0.attn.wq").copyFrom(new float[] {0.5f, 0f});
      ps.grad("blocks.0.attn_norm.weight").copyFrom(new float[] {-0.25f, 0f});
      // Step 1, lr 0.1, clip factor 0.5: g' = 0.25 / -0.125; m̂ = g', v̂ = g'^2, update = lr·sign.
      opt.step(1, 0.1, 0.5);
      // wq[0]: 1·(1 − 0.1·0.1) − 0.1·0.25/(0.25 + 1e-8) = 0.99 − 0.1 = 0.89
      assertEquals(0.89, w.get(0), 1e-6);
      // wq[1]: zero gradient, decay only: −2·0.99 = −1.98
      assertEquals(-1.98, w.get(1), 1e-6);
      // norm[0]: no decay: 1 + 0.1 = 1.1
      assertEquals(1.1, n.get(0), 1e-6);
      assertEquals(1.0, n.get(1), 0.0);
      // Step 2, lr 0.05, no clip, g = 0.5 for wq[0]:
      //   m = 0.9·0.025 + 0.1·0.5 = 0.0725;        m̂ = 0.0725 / (1 − 0.81) = 0.381578947
      //   v = 0.99·0.000625 + 0.01·0.25 = 0.00311875; v̂ = 0.00311875 / (1 − 0.9801) = 0.156721106
      //   θ = 0.89·(1 − 0.005) − 0.05·0.381578947/(0.395880166 + 1e-8) = 0.8855500 − 0.0481937
      opt.step(2, 0.05, 1.0);
      assertEquals(0.8855500 - 0.05 * 0.381578947 / Math.sqrt(0.156721106), w.get(0), 2e-6);
      assertEquals(0.8373563, w.get(0), 2e-6);
      assertEquals(-1.98 * 0.995, w.get(1), 1e-6);
    }
  }

  @Test
  void decayRuleSkipsNormsAndBiases() {
    try (ParameterSet ps = new ParameterSet(TINY)) {
      for (final String name : ps.names()) {
        final boolean vector = name.endsWith("norm.weight") || name.endsWith(".bg");
        assertEquals(!vector, ps.decays(name), name);
      }
    }
  }

  @Test
  void warmupThenCosine() {
    final LrSchedule s = new LrSchedule(1e-3, 1e-4, 10, 110);
    assertEquals(1e-4, s.lr(0), 1e-15);
    assertEquals(1e-3, s.lr(9), 1e-15);
    assertEquals(1e-3, s.lr(10), 1e-15);
    assertEquals(1e-4 + 0.5 * 9e-4, s.lr(60), 1e-15); // halfway: cos(π/2) = 0
    assertEquals(1e-4, s.lr(110), 1e-15);
    assertEquals(1e-4, s.lr(500), 1e-15);
    assertTrue(s.lr(30) > s.lr(31));
  }

  @Test
  void clipScalesOnlyAboveTheLimit() {
    assertEquals(1.0, GradientClipper.scale(0.25, 1.0), 0.0); // norm 0.5
    assertEquals(0.5, GradientClipper.scale(4.0, 1.0), 1e-6); // norm 2
    assertEquals(1.0, GradientClipper.scale(1e6, 0.0), 0.0); // off
    assertFalse(GradientClipper.scale(4.0, 1.0) > 0.5);
  }
}
