package io.seqpar.coordinator.job;

import io.seqpar.proto.v1.ControlSpec;
import io.seqpar.proto.v1.DataSpec;
import io.seqpar.proto.v1.JobSpec;
import io.seqpar.proto.v1.ModelSpec;
import io.seqpar.proto.v1.OptimizerSpec;
import io.seqpar.proto.v1.ParallelSpec;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Checks a job spec before any worker starts, and fills defaults. Used by the coordinator (Submit
 * and startup) and by the CLI, so a bad spec fails the same way everywhere. Every message names the
 * field, the value and what is allowed; all violations are collected, not only the first.
 */
public final class JobSpecValidator {
  /** Decay modes the worker kernels implement. */
  public static final Set<String> DECAY_MODES = Set.of("plain", "const_decay", "gla");

  /** Sequence-parallel scan strategies. */
  public static final Set<String> STRATEGIES =
      Set.of("allscan", "allgather", "chain", "tree", "auto");

  /** How softmax layers of a hybrid model run over the ranks. */
  public static final Set<String> SOFTMAX_STRATEGIES =
      Set.of("ring", "ring-zigzag", "allgather-kv");

  /** Layer pattern of a model without softmax layers. */
  public static final String DEFAULT_LAYER_PATTERN = "L";

  /** Softmax strategy when none is given. */
  public static final String DEFAULT_SOFTMAX_STRATEGY = "ring";

  /** Largest gang; bounds peer tables and per-step fan-in. */
  public static final int MAX_WORLD_SIZE = 4096;

  /** Largest chunk; the C x C score workspace grows quadratically. */
  public static final int MAX_CHUNK = 4096;

  static final long DEFAULT_RENDEZVOUS_TIMEOUT_MS = 120_000;
  static final long DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;
  static final long DEFAULT_HEARTBEAT_TIMEOUT_MS = 10_000;
  static final long DEFAULT_BARRIER_TIMEOUT_MS = 600_000;
  static final long DEFAULT_COLLECTIVE_TIMEOUT_MS = 120_000;

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private final Predicate<Path> fileExists;

  /** A validator that checks data files on the local file system. */
  public JobSpecValidator() {
    this(Files::isRegularFile);
  }

  /** A validator with its own notion of "the data file exists" (tests, remote storage). */
  public JobSpecValidator(final Predicate<Path> fileExists) {
    this.fileExists = fileExists;
  }

  /** The spec with defaults filled in, or {@link InvalidJobSpecException} listing every problem. */
  public JobSpec conclude(final JobSpec spec) {
    final JobSpec full = withDefaults(spec);
    final List<JobSpecViolation> violations = validate(full);
    if (!violations.isEmpty()) {
      throw new InvalidJobSpecException(violations);
    }
    return full;
  }

  /** Every violation in {@code spec} (defaults already applied), in field order. */
  public List<JobSpecViolation> validate(final JobSpec spec) {
    final List<JobSpecViolation> out = new ArrayList<>();
    if (!NAME.matcher(spec.getName()).matches()) {
      out.add(
          v(
              "name",
              quote(spec.getName()),
              "a DNS label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, 1..63 chars"));
    }
    checkModel(spec.getModel(), out);
    checkParallel(spec, out);
    checkSequence(spec, out);
    checkData(spec.getData(), out);
    if (spec.getSteps() < 1) {
      out.add(v("steps", spec.getSteps(), ">= 1"));
    }
    checkOptimizer(spec.getOptimizer(), spec.getSteps(), out);
    if (spec.getCheckpoint().getIntervalSteps() < 0) {
      out.add(
          v(
              "checkpoint.interval_steps",
              spec.getCheckpoint().getIntervalSteps(),
              ">= 0 (0 = off)"));
    } else if (spec.getCheckpoint().getIntervalSteps() > 0
        && spec.getCheckpoint().getDir().isBlank()) {
      out.add(v("checkpoint.dir", "\"\"", "a directory when checkpoint.interval_steps > 0"));
    }
    checkControl(spec.getControl(), out);
    return out;
  }

  private static void checkModel(final ModelSpec m, final List<JobSpecViolation> out) {
    positive("model.layers", m.getLayers(), out);
    positive("model.d_model", m.getDModel(), out);
    positive("model.heads", m.getHeads(), out);
    positive("model.dk", m.getDk(), out);
    positive("model.dv", m.getDv(), out);
    if (!(m.getMlpRatio() > 0) || !Double.isFinite(m.getMlpRatio())) {
      out.add(v("model.mlp_ratio", m.getMlpRatio(), "a finite number > 0"));
    }
    if (m.getVocab() < 2) {
      out.add(v("model.vocab", m.getVocab(), ">= 2"));
    }
    if (!DECAY_MODES.contains(m.getDecayMode())) {
      out.add(v("model.decay_mode", quote(m.getDecayMode()), "one of plain|const_decay|gla"));
    }
    if (!m.getLayerPattern().matches("[LS]+")) {
      out.add(
          v(
              "model.layer_pattern",
              quote(m.getLayerPattern()),
              "one or more of L (linear) and S (softmax), e.g. LLLS"));
    } else if (m.getLayerPattern().indexOf('S') >= 0 && m.getDk() % 2 != 0) {
      out.add(v("model.dk", m.getDk(), "even when model.layer_pattern has S (RoPE pairs dims)"));
    }
  }

  private static void checkParallel(final JobSpec spec, final List<JobSpecViolation> out) {
    final ParallelSpec p = spec.getParallel();
    if (p.getWorldSize() < 1 || p.getWorldSize() > MAX_WORLD_SIZE) {
      out.add(v("parallel.world_size", p.getWorldSize(), "1.." + MAX_WORLD_SIZE));
    }
    if (!STRATEGIES.contains(p.getStrategy())) {
      out.add(
          v(
              "parallel.strategy",
              quote(p.getStrategy()),
              "one of allscan|allgather|chain|tree|auto"));
    }
    if (!SOFTMAX_STRATEGIES.contains(p.getSoftmaxStrategy())) {
      out.add(
          v(
              "parallel.softmax_strategy",
              quote(p.getSoftmaxStrategy()),
              "one of ring|ring-zigzag|allgather-kv"));
    }
    final int dk = spec.getModel().getDk();
    if (p.getAllscanBlocks() < 1 || (dk >= 1 && p.getAllscanBlocks() > dk)) {
      out.add(
          v(
              "parallel.allscan_blocks",
              p.getAllscanBlocks(),
              "1..model.dk (" + dk + "): blocks split the key dimension"));
    }
  }

  private static void checkSequence(final JobSpec spec, final List<JobSpecViolation> out) {
    final int p = spec.getParallel().getWorldSize();
    if (spec.getSeqLen() < 1) {
      out.add(v("seq_len", spec.getSeqLen(), ">= 1"));
    } else if (p >= 1 && spec.getSeqLen() < p) {
      out.add(
          v(
              "seq_len",
              spec.getSeqLen(),
              ">= parallel.world_size (" + p + ") so no shard is empty"));
    }
    if (spec.getChunk() < 1 || spec.getChunk() > MAX_CHUNK) {
      out.add(v("chunk", spec.getChunk(), "1.." + MAX_CHUNK));
    } else if (p >= 1 && spec.getSeqLen() >= p) {
      final long smallest = ShardPlanner.smallestShard(spec.getSeqLen(), p);
      if (spec.getChunk() > smallest) {
        out.add(
            v(
                "chunk",
                spec.getChunk(),
                "1.."
                    + smallest
                    + ", the smallest shard (seq_len "
                    + spec.getSeqLen()
                    + " / world_size "
                    + p
                    + ")"));
      }
    }
  }

  private void checkData(final DataSpec d, final List<JobSpecViolation> out) {
    switch (d.getSourceCase()) {
      case SYNTHETIC -> {}
      case FILE_PATH -> checkFile("data.file_path", d.getFilePath(), out);
      case NPY_PATH -> {
        checkFile("data.npy_path", d.getNpyPath(), out);
        if (!d.getNpyPath().endsWith(".npy")) {
          out.add(v("data.npy_path", quote(d.getNpyPath()), "a path ending in .npy"));
        }
      }
      case SOURCE_NOT_SET ->
          out.add(v("data", "no source", "one of data.synthetic, data.file_path, data.npy_path"));
    }
    positive("data.batch", d.getBatch(), out);
  }

  private void checkFile(final String field, final String path, final List<JobSpecViolation> out) {
    boolean exists;
    try {
      exists = !path.isBlank() && fileExists.test(Path.of(path));
    } catch (final InvalidPathException e) {
      exists = false;
    }
    if (!exists) {
      out.add(v(field, quote(path), "an existing readable file"));
    }
  }

  private static void checkOptimizer(
      final OptimizerSpec o, final long steps, final List<JobSpecViolation> out) {
    if (!(o.getLr() > 0) || !Double.isFinite(o.getLr())) {
      out.add(v("optimizer.lr", o.getLr(), "a finite number > 0"));
    }
    if (o.getWarmupSteps() < 0 || (steps >= 1 && o.getWarmupSteps() > steps)) {
      out.add(v("optimizer.warmup_steps", o.getWarmupSteps(), "0..steps (" + steps + ")"));
    }
    nonNegative("optimizer.weight_decay", o.getWeightDecay(), out);
    nonNegative("optimizer.clip_norm", o.getClipNorm(), out);
    if (!(o.getBeta1() >= 0 && o.getBeta1() < 1)) {
      out.add(v("optimizer.beta1", o.getBeta1(), "0 <= beta1 < 1"));
    }
    if (!(o.getBeta2() >= 0 && o.getBeta2() < 1)) {
      out.add(v("optimizer.beta2", o.getBeta2(), "0 <= beta2 < 1"));
    }
    nonNegative("optimizer.eps", o.getEps(), out);
  }

  private static void checkControl(final ControlSpec c, final List<JobSpecViolation> out) {
    positive("control.rendezvous_timeout_ms", c.getRendezvousTimeoutMs(), out);
    positive("control.heartbeat_interval_ms", c.getHeartbeatIntervalMs(), out);
    positive("control.barrier_timeout_ms", c.getBarrierTimeoutMs(), out);
    positive("control.collective_timeout_ms", c.getCollectiveTimeoutMs(), out);
    if (c.getHeartbeatTimeoutMs() <= c.getHeartbeatIntervalMs()) {
      out.add(
          v(
              "control.heartbeat_timeout_ms",
              c.getHeartbeatTimeoutMs(),
              "> control.heartbeat_interval_ms (" + c.getHeartbeatIntervalMs() + ")"));
    }
  }

  /** {@code spec} with zero-valued optional fields replaced by their documented defaults. */
  public static JobSpec withDefaults(final JobSpec spec) {
    final JobSpec.Builder b = spec.toBuilder();
    if (b.getParallel().getAllscanBlocks() == 0) {
      b.getParallelBuilder().setAllscanBlocks(1);
    }
    if (b.getModel().getLayerPattern().isEmpty()) {
      b.getModelBuilder().setLayerPattern(DEFAULT_LAYER_PATTERN);
    }
    if (b.getParallel().getSoftmaxStrategy().isEmpty()) {
      b.getParallelBuilder().setSoftmaxStrategy(DEFAULT_SOFTMAX_STRATEGY);
    }
    final OptimizerSpec.Builder o = b.getOptimizerBuilder();
    if (o.getBeta1() == 0) {
      o.setBeta1(0.9);
    }
    if (o.getBeta2() == 0) {
      o.setBeta2(0.95);
    }
    if (o.getEps() == 0) {
      o.setEps(1e-8);
    }
    final ControlSpec.Builder c = b.getControlBuilder();
    if (c.getRendezvousTimeoutMs() == 0) {
      c.setRendezvousTimeoutMs(DEFAULT_RENDEZVOUS_TIMEOUT_MS);
    }
    if (c.getHeartbeatIntervalMs() == 0) {
      c.setHeartbeatIntervalMs(DEFAULT_HEARTBEAT_INTERVAL_MS);
    }
    if (c.getHeartbeatTimeoutMs() == 0) {
      c.setHeartbeatTimeoutMs(
          Math.max(DEFAULT_HEARTBEAT_TIMEOUT_MS, c.getHeartbeatIntervalMs() * 3 / 2));
    }
    if (c.getBarrierTimeoutMs() == 0) {
      c.setBarrierTimeoutMs(DEFAULT_BARRIER_TIMEOUT_MS);
    }
    if (c.getCollectiveTimeoutMs() == 0) {
      c.setCollectiveTimeoutMs(DEFAULT_COLLECTIVE_TIMEOUT_MS);
    }
    return b.build();
  }

  private static void positive(
      final String field, final long value, final List<JobSpecViolation> out) {
    if (value < 1) {
      out.add(v(field, value, ">= 1"));
    }
  }

  private static void nonNegative(
      final String field, final double value, final List<JobSpecViolation> out) {
    if (!(value >= 0) || !Double.isFinite(value)) {
      out.add(v(field, value, "a finite number >= 0"));
    }
  }

  private static JobSpecViolation v(final String field, final Object value, final String allowed) {
    return new JobSpecViolation(field, String.valueOf(value), allowed);
  }

  private static String quote(final String s) {
    return "\"" + s + "\"";
  }
}
