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
import io.seqpar.worker.model.LanguageModel;
import io.seqpar.worker.model.ModelConfig;
import io.seqpar.worker.model.ParameterSet;
import io.seqpar.worker.optim.AdamW;
import io.seqpar.worker.optim.AdamWConfig;
import io.seqpar.worker.optim.LrSchedule;
import io.seqpar.worker.sp.ShardPlan;
import io.seqpar.worker.sp.SpAttentionOp;
import io.seqpar.worker.sp.SpCostModel;
import io.seqpar.worker.sp.SpStrategy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sequence-parallel training equals single-rank training (issue 6, algorithms.md §7 properties 3,
 * 10, 11): for P ∈ {1, 2, 3, 4} and every strategy, the loss and every parameter gradient after the
 * all-reduce equal P = 1 (rel. Frobenius ≤ 1e-5), and 20 steps give the same loss curve within 1e-4
 * relative per step. Ranks are threads over the in-memory transport.
 */
class SpTrainingExactnessTest {
  private static final int T = 97; // not divisible by 2, 3 or 4: uneven shards
  private static final int BATCH = 2;

  /**
   * A GPT-style 3e-4. Adam's first updates are ≈ lr·sign(g): float32 summation-order differences in
   * near-zero gradients (every P sums in another order) become ±lr weight differences, and at lr =
   * 1e-2 this tiny model's trajectories separate chaotically (measured: up to 4.5e-2 relative by
   * step 20 for gla, at any P ≥ 2). At 3e-4 the curves stay within float32 rounding (≤ 1e-7).
   */
  private static final double LR = 3e-4;

  static java.util.stream.Stream<Arguments> grid() {
    final java.util.List<Arguments> out = new java.util.ArrayList<>();
    for (final DecayMode mode : DecayMode.values()) {
      for (final SpStrategy s :
          new SpStrategy[] {
            SpStrategy.ALLSCAN, SpStrategy.ALLGATHER, SpStrategy.CHAIN, SpStrategy.TREE
          }) {
        out.add(Arguments.of(mode, s));
      }
    }
    return out.stream();
  }

  private static ModelConfig config(final DecayMode mode) {
    return new ModelConfig(2, 32, 2, 16, 16, 2, 256, mode, 16, false);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("grid")
  @Timeout(300)
  void lossAndReducedGradientsEqualSingleRank(final DecayMode mode, final SpStrategy strategy) {
    final Map<String, float[]> ref = new LinkedHashMap<>();
    final double refLoss =
        runRanks(
            1,
            mode,
            strategy,
            (rank, t) -> {
              final double loss = t.trainer.gradients(0);
              if (rank == 0) {
                t.params.gradViews().forEach((n, v) -> ref.put(n, v.toArray()));
              }
              return loss;
            })[0];
    for (final int p : new int[] {2, 3, 4}) {
      final Map<String, float[]> got = new LinkedHashMap<>();
      final double[] losses =
          runRanks(
              p,
              mode,
              strategy,
              (rank, t) -> {
                final double loss = t.trainer.gradients(0);
                if (rank == p - 1) {
                  t.params.gradViews().forEach((n, v) -> got.put(n, v.toArray()));
                }
                return loss;
              });
      for (final double l : losses) {
        assertThat(Math.abs(l - refLoss) / refLoss).as("loss at P=%d", p).isLessThan(1e-5);
      }
      for (final Map.Entry<String, float[]> e : ref.entrySet()) {
        assertClose(
            mode.id() + " " + strategy.id() + " P=" + p + " grad " + e.getKey(),
            e.getValue(),
            got.get(e.getKey()),
            Tolerance.relFro(1e-5));
      }
    }
  }

  /**
   * Bucketed all-reduce during backward gives the bits of one all-reduce after it (each float is
   * summed by the same ranks in the same order), on every rank, on the ring path (the gradient
   * block is 156 KB); and the step's accounting says what ran.
   */
  @ParameterizedTest(name = "P={0}")
  @org.junit.jupiter.params.provider.ValueSource(ints = {3, 4})
  @Timeout(120)
  void bucketedReduceGivesTheBitsOfOneReduce(final int p) {
    final int layers = config(DecayMode.GLA).layers();
    final byte[][] one = new byte[p][];
    final byte[][] bucketed = new byte[p][];
    final StepStats[] stats = new StepStats[p];
    runRanks(
        p,
        DecayMode.GLA,
        SpStrategy.ALLSCAN,
        (rank, t) -> {
          t.trainer.overlapGradientReduce(false).gradients(0);
          one[rank] = t.params.gradientBlock().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
          final double loss = t.trainer.overlapGradientReduce(true).gradients(0);
          bucketed[rank] =
              t.params.gradientBlock().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
          stats[rank] = t.trainer.lastStepStats();
          return loss;
        });
    for (int r = 0; r < p; r++) {
      assertThat(bucketed[r]).as("rank %d bucketed vs one call", r).isEqualTo(one[r]);
      assertThat(bucketed[r]).as("rank %d vs rank 0", r).isEqualTo(bucketed[0]);
      assertThat(stats[r].buckets()).isEqualTo(layers + 2);
      assertThat(stats[r].bytesSent()).isPositive();
      assertThat(stats[r].exposedAllReduceSeconds()).isBetween(0.0, stats[r].allReduceSeconds());
      assertThat(stats[r].attentionSeconds()).isPositive();
    }
  }

  @ParameterizedTest(name = "{0} allscan")
  @org.junit.jupiter.params.provider.EnumSource(DecayMode.class)
  @Timeout(300)
  void twentyStepsGiveTheSameLossCurve(final DecayMode mode) {
    final double[] ref = curve(1, mode);
    for (final int p : new int[] {2, 3, 4}) {
      final double[] got = curve(p, mode);
      double worst = 0;
      for (int s = 0; s < ref.length; s++) {
        worst = Math.max(worst, Math.abs(got[s] - ref[s]) / ref[s]);
      }
      System.out.printf(
          "loss curve %s P=%d: worst relative deviation over 20 steps %.2e (%.4f -> %.4f)%n",
          mode.id(), p, worst, ref[0], ref[19]);
      for (int s = 0; s < ref.length; s++) {
        assertThat(Math.abs(got[s] - ref[s]) / ref[s])
            .as("%s P=%d step %d", mode, p, s)
            .isLessThanOrEqualTo(1e-4);
      }
    }
    assertThat(ref[19]).isLessThan(ref[0]);
  }

  private static double[] curve(final int p, final DecayMode mode) {
    final double[][] perRank = new double[p][20];
    runRanks(
        p,
        mode,
        SpStrategy.ALLSCAN,
        (rank, t) -> {
          for (int s = 0; s < 20; s++) {
            perRank[rank][s] = t.trainer.step(s);
          }
          return 0;
        });
    for (int r = 1; r < p; r++) {
      for (int s = 0; s < 20; s++) {
        assertThat(perRank[r][s])
            .as("rank %d agrees with rank 0 at step %d", r, s)
            .isEqualTo(perRank[0][s]);
      }
    }
    return perRank[0];
  }

  /** A rank's training objects. */
  private record RankTrainer(ParameterSet params, SpTrainer trainer) {}

  private interface RankBody {
    double run(int rank, RankTrainer t);
  }

  /** Runs {@code body} on P rank threads; returns each rank's result. */
  private static double[] runRanks(
      final int p, final DecayMode mode, final SpStrategy strategy, final RankBody body) {
    final InMemoryTransport[] group = InMemoryTransport.group(p, 64 * 1024);
    final double[] out = new double[p];
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final IntFunction<Thread> rankThread =
        r ->
            Thread.ofPlatform()
                .unstarted(
                    () -> {
                      final ModelConfig cfg = config(mode);
                      final int start = ShardPlan.start(T, p, r);
                      final int len = ShardPlan.length(T, p, r);
                      try (Communicator comm =
                              new Communicator(
                                  group[r],
                                  new CollectiveContext()
                                      .jobId(1)
                                      .epoch(1)
                                      .timeoutNs(TimeUnit.SECONDS.toNanos(60)));
                          SyntheticSource src = new SyntheticSource(1, 1L << 16, 1024);
                          ParameterSet ps = new ParameterSet(cfg);
                          SpAttentionOp attn =
                              new SpAttentionOp(
                                  cfg, BATCH, comm, strategy, 0, SpCostModel.DEFAULT);
                          LanguageModel model = new LanguageModel(ps, BATCH, len, attn);
                          AdamW opt = new AdamW(ps, AdamWConfig.DEFAULTS);
                          SpTrainer trainer =
                              new SpTrainer(
                                  model,
                                  opt,
                                  new SequenceBatcher(src, T, BATCH, start, start + len),
                                  new LrSchedule(LR, LR / 10, 5, 20),
                                  1.0,
                                  (long) BATCH * T,
                                  comm)) {
                        ps.initialize(1234);
                        out[r] = body.run(r, new RankTrainer(ps, trainer));
                      } catch (final Throwable t) {
                        failure.compareAndSet(null, t);
                      }
                    });
    final Thread[] threads = new Thread[p];
    for (int r = 0; r < p; r++) {
      threads[r] = rankThread.apply(r);
      threads[r].start();
    }
    for (final Thread t : threads) {
      try {
        assertThat(t.join(java.time.Duration.ofSeconds(240))).as("rank finished").isTrue();
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
