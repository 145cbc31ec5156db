package io.seqpar.worker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.worker.data.SequenceBatcher;
import io.seqpar.worker.data.SyntheticSource;
import io.seqpar.worker.kernel.DecayMode;
import io.seqpar.worker.optim.AdamW;
import io.seqpar.worker.optim.AdamWConfig;
import io.seqpar.worker.optim.GradientClipper;
import io.seqpar.worker.optim.LrSchedule;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pieces compose into a single-rank training loop that learns and is bitwise deterministic, for
 * every decay mode: bitwise resume needs results that do not depend on JIT tiers, which is why the
 * kernel uses its own FMA-only exp and fixed-order lane sums.
 */
class TrainingSmokeTest {
  private static final ModelConfig CFG =
      new ModelConfig(2, 32, 2, 16, 16, 2, 256, DecayMode.CONST_DECAY, 32, false);
  private static final ModelConfig GLA =
      new ModelConfig(2, 32, 2, 16, 16, 2, 256, DecayMode.GLA, 32, false);

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void lossFallsOnSyntheticDataAndRunsRepeatBitwise() {
    final double[] a = train(30);
    final double[] b = train(30);
    assertEquals(Math.log(256), a[0], 0.3, "initial loss near ln 256");
    assertTrue(a[29] < 0.6 * a[0], "loss " + a[0] + " -> " + a[29]);
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i], b[i], 0.0, "step " + i + " bitwise repeatable");
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void glaRunsRepeatBitwiseAcrossJitTiers() {
    // The first run executes mostly interpreted/C1, the second mostly C2-compiled.
    final double[] a = train(GLA, 12);
    final double[] b = train(GLA, 12);
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i], b[i], 0.0, "gla step " + i + " bitwise repeatable");
    }
  }

  private static double[] train(final int steps) {
    return train(CFG, steps);
  }

  private static double[] train(final ModelConfig cfg, final int steps) {
    final int t = 128;
    final int batch = 2;
    final double[] losses = new double[steps];
    try (SyntheticSource src = new SyntheticSource(1, 1L << 20, 1024);
        ParameterSet ps = new ParameterSet(cfg);
        LanguageModel model = new LanguageModel(ps, batch, t, new LocalAttention(cfg));
        AdamW opt = new AdamW(ps, AdamWConfig.DEFAULTS)) {
      ps.initialize(1234);
      final SequenceBatcher data = new SequenceBatcher(src, t, batch, 0, t);
      final LrSchedule lr = new LrSchedule(1e-2, 1e-3, 5, steps);
      final int[] tokens = new int[batch * t];
      final int[] targets = new int[batch * t];
      for (int s = 0; s < steps; s++) {
        data.fill(s, tokens, targets);
        ps.zeroGradients();
        losses[s] = model.forward(tokens, targets, (long) batch * t);
        model.backward();
        final double clip = GradientClipper.scale(ps.gradSumOfSquares(), 1.0);
        opt.step(s + 1, lr.lr(s), clip);
      }
    }
    return losses;
  }
}
