package io.seqpar.worker.train;

import io.seqpar.collectives.Communicator;
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
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code workload=train} of {@code SpRankMain}: one rank of SP training on synthetic data, for
 * measurements (overlap of the gradient all-reduce, per-rank memory). Arguments {@code key=value}:
 * {@code mode layers dModel heads dk dv mlpRatio vocab chunk tokens (T) batch steps overlap
 * strategy seed}. Prints per step
 *
 * <pre>
 *   TRAIN rank step stepNs allReduceNs exposedNs bytesSent buckets attnNs attnExposedNs cpuNs loss
 * </pre>
 *
 * and at the end {@code MEM rank paramBytes gradBytes momentBytes activationBytes scratchBytes
 * heapPeakBytes vmHwmKb}: the off-heap arenas (parameters, gradients, AdamW moments, activations
 * and their gradients; FFM arenas are not in the JVM's direct-buffer pool, so they are summed
 * here), the gradient all-reduce's scratch (grads / P), the heap pools' peak during the steps, and
 * the process's peak resident set ({@code VmHWM}: everything, JVM and Aeron buffers included).
 */
public final class TrainWorkload {
  private TrainWorkload() {}

  public static void run(
      final Map<String, String> a,
      final Communicator comm,
      final int rank,
      final int ranks,
      final PrintStream out) {
    final ModelConfig cfg =
        new ModelConfig(
            integer(a, "layers", 2),
            integer(a, "dModel", 32),
            integer(a, "heads", 2),
            integer(a, "dk", 16),
            integer(a, "dv", 16),
            integer(a, "mlpRatio", 2),
            integer(a, "vocab", 256),
            DecayMode.fromId(a.getOrDefault("mode", "const_decay")),
            integer(a, "chunk", 64),
            false);
    final int tokens = integer(a, "tokens", 4096);
    final int batch = integer(a, "batch", 1);
    final int steps = integer(a, "steps", 3);
    final long seed = Long.parseLong(a.getOrDefault("seed", "1"));
    final int start = ShardPlan.start(tokens, ranks, rank);
    final int len = ShardPlan.length(tokens, ranks, rank);
    final var bean = ManagementFactory.getThreadMXBean();
    try (SyntheticSource src = new SyntheticSource(seed, 1L << 40, 4096);
        ParameterSet ps = new ParameterSet(cfg);
        SpAttentionOp attn =
            new SpAttentionOp(
                cfg,
                batch,
                comm,
                SpStrategy.fromId(a.getOrDefault("strategy", "allscan")),
                0,
                SpCostModel.DEFAULT);
        LanguageModel model = new LanguageModel(ps, batch, len, attn);
        AdamW opt = new AdamW(ps, AdamWConfig.DEFAULTS);
        SpTrainer trainer =
            new SpTrainer(
                model,
                opt,
                new SequenceBatcher(src, tokens, batch, start, start + len),
                new LrSchedule(3e-4, 3e-5, 1, Math.max(2, steps)),
                1.0,
                (long) batch * tokens,
                comm)) {
      TrainingPreflight.check(
          src, tokens, batch, steps, cfg.vocab(), "synthetic", start, start + len);
      trainer.overlapGradientReduce(Boolean.parseBoolean(a.getOrDefault("overlap", "true")));
      ps.initialize(seed);
      for (final MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
        p.resetPeakUsage();
      }
      for (int s = 0; s < steps; s++) {
        final long cpu0 = bean.getCurrentThreadCpuTime();
        final double loss = trainer.step(s);
        final long cpu = bean.getCurrentThreadCpuTime() - cpu0;
        final StepStats st = trainer.lastStepStats();
        out.println(
            "TRAIN "
                + rank
                + " "
                + s
                + " "
                + nanos(st.stepSeconds())
                + " "
                + nanos(st.allReduceSeconds())
                + " "
                + nanos(st.exposedAllReduceSeconds())
                + " "
                + st.bytesSent()
                + " "
                + st.buckets()
                + " "
                + nanos(st.attentionSeconds())
                + " "
                + nanos(st.attentionExposedSeconds())
                + " "
                + cpu
                + " "
                + loss);
      }
      final long grads = ps.gradientBlock().byteSize();
      out.println(
          "MEM "
              + rank
              + " "
              + grads
              + " "
              + grads
              + " "
              + 2 * grads
              + " "
              + model.activationBytes()
              + " "
              + grads / ranks
              + " "
              + heapPeakBytes()
              + " "
              + vmHwmKb());
    }
  }

  private static int integer(final Map<String, String> a, final String key, final int dflt) {
    return Integer.parseInt(a.getOrDefault(key, Integer.toString(dflt)));
  }

  private static long nanos(final double seconds) {
    return Math.round(seconds * 1e9);
  }

  /** Σ over heap pools of their peak since the reset (an upper bound of the heap's peak). */
  private static long heapPeakBytes() {
    long sum = 0;
    for (final MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        sum += p.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  private static long vmHwmKb() {
    try {
      for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (final IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
