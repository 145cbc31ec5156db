package io.seqpar.worker.train;

import static io.seqpar.testing.TensorAssert.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import io.seqpar.collectives.CollectiveContext;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.transport.InMemoryTransport;
import io.seqpar.testing.Tolerance;
import io.seqpar.worker.data.SequenceBatcher;
import io.seqpar.worker.data.SyntheticSource;
import io.seqpar.worker.kernel.DecayMode;
import io.seqpar.worker.model.HybridAttention;
import io.seqpar.worker.model.LanguageModel;
import io.seqpar.worker.model.ModelConfig;
import io.seqpar.worker.model.ParameterSet;
import io.seqpar.worker.optim.AdamW;
import io.seqpar.worker.optim.AdamWConfig;
import io.seqpar.worker.optim.LrSchedule;
import io.seqpar.worker.sp.ShardPlan;
import io.seqpar.worker.sp.SoftmaxStrategy;
import io.seqpar.worker.sp.SpAttentionOp;
import io.seqpar.worker.sp.SpCostModel;
import io.seqpar.worker.sp.SpSoftmaxAttentionOp;
import io.seqpar.worker.sp.SpStrategy;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 9 acceptance: a hybrid {@code LLLS} model (4 layers: three linear, one softmax with RoPE)
 * trained with P = 4 equals P = 1 — the loss and every parameter gradient after the all-reduce
 * (rel. Frobenius ≤ 1e-5), then three optimizer steps give the same losses — for every softmax
 * strategy. T = 97 gives uneven shards, and ring-zigzag exercises the contiguous ↔ zigzag relayout
 * between the linear and the softmax layers.
 */
class HybridSpTrainingTest {
  private static final int T = 97;
  private static final int BATCH = 2;
  private static final double LR = 3e-4;

  private static ModelConfig config() {
    return new ModelConfig(4, 32, 2, 16, 16, 2, 256, DecayMode.CONST_DECAY, 16, false, "LLLS");
  }

  @ParameterizedTest
  @EnumSource(SoftmaxStrategy.class)
  @Timeout(180)
  void fourRanksMatchOneRank(final SoftmaxStrategy strategy) {
    final Map<String, float[]> ref = new LinkedHashMap<>();
    final double[][] refLoss = run(1, strategy, ref);
    final Map<String, float[]> got = new LinkedHashMap<>();
    final double[][] losses = run(4, strategy, got);
    for (int r = 0; r < 4; r++) {
      for (int s = 0; s < refLoss[0].length; s++) {
        assertThat(Math.abs(losses[r][s] - refLoss[0][s]) / refLoss[0][s])
            .as("%s rank %d loss %d", strategy.id(), r, s)
            .isLessThan(1e-5);
      }
    }
    assertThat(ref.keySet()).containsExactlyElementsOf(got.keySet());
    for (final Map.Entry<String, float[]> e : ref.entrySet()) {
      assertClose(
          strategy.id() + " P=4 grad " + e.getKey(),
          e.getValue(),
          got.get(e.getKey()),
          Tolerance.relFro(1e-5));
    }
  }

  /**
   * Runs P ranks: gradients of step 0 (all-reduced, recorded from the last rank), then three
   * training steps; returns [rank][loss of gradients(0), step 0, 1, 2].
   */
  private static double[][] run(
      final int p, final SoftmaxStrategy strategy, final Map<String, float[]> grads) {
    final InMemoryTransport[] group = InMemoryTransport.group(p, 64 * 1024);
    final double[][] out = new double[p][4];
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final Thread[] threads = new Thread[p];
    for (int r = 0; r < p; r++) {
      final int rank = r;
      threads[r] =
          Thread.ofPlatform()
              .start(
                  () -> {
                    final ModelConfig cfg = config();
                    final int start = ShardPlan.start(T, p, rank);
                    final int len = ShardPlan.length(T, p, rank);
                    try (Communicator comm =
                            new Communicator(
                                group[rank],
                                new CollectiveContext()
                                    .jobId(1)
                                    .epoch(1)
                                    .timeoutNs(TimeUnit.SECONDS.toNanos(60)));
                        SyntheticSource src = new SyntheticSource(1, 1L << 16, 1024);
                        ParameterSet ps = new ParameterSet(cfg);
                        SpAttentionOp linear =
                            new SpAttentionOp(
                                cfg, BATCH, comm, SpStrategy.ALLSCAN, 0, SpCostModel.DEFAULT);
                        SpSoftmaxAttentionOp softmax =
                            new SpSoftmaxAttentionOp(cfg, BATCH, T, comm, strategy);
                        LanguageModel model =
                            new LanguageModel(
                                ps, BATCH, len, new HybridAttention(cfg, linear, softmax));
                        AdamW opt = new AdamW(ps, AdamWConfig.DEFAULTS);
                        SpTrainer trainer =
                            new SpTrainer(
                                model,
                                opt,
                                new SequenceBatcher(src, T, BATCH, start, start + len),
                                new LrSchedule(LR, LR / 10, 1, 10),
                                1.0,
                                (long) BATCH * T,
                                comm)) {
                      ps.initialize(4321);
                      out[rank][0] = trainer.gradients(0);
                      if (rank == p - 1) {
                        ps.gradViews().forEach((n, v) -> grads.put(n, v.toArray()));
                      }
                      for (int s = 0; s < 3; s++) {
                        out[rank][1 + s] = trainer.step(s);
                      }
                    } catch (final Throwable t) {
                      failure.compareAndSet(null, t);
                      group[rank].close();
                    }
                  });
    }
    for (final Thread t : threads) {
      try {
        assertThat(t.join(Duration.ofSeconds(150))).as("rank finished").isTrue();
      } catch (final InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    for (final InMemoryTransport t : group) {
      t.close();
    }
    if (failure.get() != null) {
      throw new AssertionError("a rank failed", failure.get());
    }
    return out;
  }
}
