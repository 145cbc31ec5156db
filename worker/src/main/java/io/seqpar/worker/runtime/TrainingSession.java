package io.seqpar.worker.runtime;

import io.seqpar.InvalidInputException;
import io.seqpar.checkpoint.CheckpointStore;
import io.seqpar.collectives.Communicator;
import io.seqpar.proto.v1.CheckpointFile;
import io.seqpar.proto.v1.CheckpointManifest;
import io.seqpar.proto.v1.JobSpec;
import io.seqpar.proto.v1.ModelSpec;
import io.seqpar.proto.v1.OptimizerSpec;
import io.seqpar.proto.v1.ShardRange;
import io.seqpar.worker.data.ByteFileSource;
import io.seqpar.worker.data.NpyTokenSource;
import io.seqpar.worker.data.SequenceBatcher;
import io.seqpar.worker.data.SyntheticSource;
import io.seqpar.worker.data.TokenSource;
import io.seqpar.worker.io.GradientDump;
import io.seqpar.worker.io.Safetensors;
import io.seqpar.worker.io.WeightsIo;
import io.seqpar.worker.kernel.DecayMode;
import io.seqpar.worker.model.HybridAttention;
import io.seqpar.worker.model.LanguageModel;
import io.seqpar.worker.model.ModelConfig;
import io.seqpar.worker.model.ParameterSet;
import io.seqpar.worker.optim.AdamW;
import io.seqpar.worker.optim.AdamWConfig;
import io.seqpar.worker.optim.LrSchedule;
import io.seqpar.worker.sp.SequenceParallelAttention;
import io.seqpar.worker.sp.SoftmaxStrategy;
import io.seqpar.worker.sp.SpAttentionOp;
import io.seqpar.worker.sp.SpCallStats;
import io.seqpar.worker.sp.SpCostModel;
import io.seqpar.worker.sp.SpSoftmaxAttentionOp;
import io.seqpar.worker.sp.SpStrategy;
import io.seqpar.worker.train.SpTrainer;
import io.seqpar.worker.train.StepStats;
import io.seqpar.worker.train.TrainingPreflight;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything one rank trains with, built from the coordinator's job spec and this rank's shard:
 * data (only the rank's token range is read), the replicated parameters, the SP attention operator,
 * AdamW and the trainer. Also the rank's side of checkpoints, {@code --init-from}, {@code --save}
 * and {@code --dump-grads}.
 */
public final class TrainingSession implements AutoCloseable {
  /** Weights file name inside a checkpoint step directory (rank 0). */
  public static final String WEIGHTS = "weights.safetensors";

  /** AdamW moments file name inside a checkpoint step directory (rank 0). */
  public static final String OPTIMIZER = "optimizer.safetensors";

  private final JobSpec spec;
  private final int rank;
  private final ShardRange shard;
  private final ModelConfig config;
  private final TokenSource source;
  private final ParameterSet params;
  private final SpAttentionOp attention;
  private final SpSoftmaxAttentionOp softmax;
  private final LanguageModel model;
  private final AdamW optimizer;
  private final SpTrainer trainer;
  private final int tokensPerStep;

  public TrainingSession(
      final JobSpec spec, final int rank, final ShardRange shard, final Communicator comm) {
    this.spec = spec;
    this.rank = rank;
    this.shard = shard;
    this.config = modelConfig(spec);
    final int seqLen = Math.toIntExact(spec.getSeqLen());
    final int batch = spec.getData().getBatch();
    final int start = Math.toIntExact(shard.getStartToken());
    final int end = Math.toIntExact(shard.getEndToken());
    this.tokensPerStep = batch * (end - start);
    this.source = openSource(spec, seqLen, batch);
    // Refuse short data and out-of-vocabulary ids before step 0, not when a step reads them.
    TrainingPreflight.check(
        source,
        seqLen,
        batch,
        spec.getSteps(),
        config.vocab(),
        "data." + spec.getData().getSourceCase().name().toLowerCase(Locale.ROOT),
        start,
        end);
    final SequenceBatcher batcher = new SequenceBatcher(source, seqLen, batch, start, end);
    this.params = new ParameterSet(config);
    params.initialize(spec.getSeed());
    if (!spec.getWeights().getInitFrom().isBlank()) {
      TrainingPreflight.checkWeights(Path.of(spec.getWeights().getInitFrom()), config);
      WeightsIo.initFrom(Path.of(spec.getWeights().getInitFrom()), params);
    }
    this.attention =
        new SpAttentionOp(
            config,
            batch,
            comm,
            SpStrategy.fromId(spec.getParallel().getStrategy()),
            spec.getParallel().getAllscanBlocks(),
            SpCostModel.DEFAULT);
    // Hybrid models (a layer pattern with S): softmax layers run ring / zigzag / AllGather-KV.
    this.softmax =
        config.layerPattern().indexOf('S') >= 0
            ? new SpSoftmaxAttentionOp(
                config,
                batch,
                seqLen,
                comm,
                SoftmaxStrategy.fromId(spec.getParallel().getSoftmaxStrategy()))
            : null;
    this.model =
        new LanguageModel(
            params,
            batch,
            end - start,
            softmax == null ? attention : new HybridAttention(config, attention, softmax));
    final OptimizerSpec o = spec.getOptimizer();
    this.optimizer =
        new AdamW(
            params, new AdamWConfig(o.getBeta1(), o.getBeta2(), o.getEps(), o.getWeightDecay()));
    this.trainer =
        new SpTrainer(
            model,
            optimizer,
            batcher,
            new LrSchedule(
                o.getLr(),
                o.getLr() / 10,
                Math.toIntExact(o.getWarmupSteps()),
                Math.toIntExact(spec.getSteps())),
            o.getClipNorm(),
            (long) batch * seqLen,
            comm);
  }

  /** The model shape of a job spec. */
  public static ModelConfig modelConfig(final JobSpec spec) {
    final ModelSpec m = spec.getModel();
    final double ratio = m.getMlpRatio();
    if (ratio != Math.rint(ratio)) {
      throw new InvalidInputException(
          "model.mlp_ratio: " + ratio + " is not allowed (allowed: a whole number >= 1)");
    }
    return new ModelConfig(
        m.getLayers(),
        m.getDModel(),
        m.getHeads(),
        m.getDk(),
        m.getDv(),
        (int) ratio,
        m.getVocab(),
        DecayMode.fromId(m.getDecayMode()),
        spec.getChunk(),
        false,
        m.getLayerPattern().isEmpty() ? "L" : m.getLayerPattern());
  }

  private static TokenSource openSource(final JobSpec spec, final int seqLen, final int batch) {
    final int vocab = spec.getModel().getVocab();
    return switch (spec.getData().getSourceCase()) {
      case FILE_PATH -> new ByteFileSource(Path.of(spec.getData().getFilePath()), vocab);
      case NPY_PATH -> new NpyTokenSource(Path.of(spec.getData().getNpyPath()), vocab);
      default -> {
        // One fresh sequence per batch row and step: the stream is computed on demand, so its
        // length costs nothing.
        final long sequences = Math.max(1, spec.getSteps()) * batch;
        yield new SyntheticSource(
            spec.getSeed() + spec.getData().getSynthetic().getSeedOffset(),
            sequences * seqLen + 1,
            SyntheticSource.DEFAULT_EPISODE_TOKENS);
      }
    };
  }

  /** Runs step {@code step} (0-based): forward, backward, all-reduce, clip, AdamW. */
  public double step(final long step) {
    return trainer.step(step);
  }

  /**
   * Forward and backward of {@code step} with the reductions but no update, then (rank 0) writes
   * one .npy per gradient and the loss to {@code spec.weights.dump_grads}.
   */
  public double dumpGradients(final long step) {
    final double loss = trainer.gradients(step);
    if (rank == 0) {
      GradientDump.write(Path.of(spec.getWeights().getDumpGrads()), params, loss);
    }
    return loss;
  }

  /** Tokens this rank processes per step (batch × slice length). */
  public int tokensPerStep() {
    return tokensPerStep;
  }

  /** What the last step cost: all-reduce (total, exposed), attention, bytes. */
  public StepStats lastStepStats() {
    return trainer.lastStepStats();
  }

  /** Sums the last step's SP attention accounting over layers: {total, exposed, sent} ns/bytes. */
  public long[] attentionTotals(final boolean forward) {
    final long[] out = new long[3];
    for (int l = 0; l < attention.layers(); l++) {
      final SequenceParallelAttention a = attention.layer(l);
      final SpCallStats s = forward ? a.forwardStats() : a.backwardStats();
      out[0] += s.totalNs();
      out[1] += s.exposedNs();
      out[2] += s.bytesSent();
    }
    return out;
  }

  /** The strategy the attention operator resolved to (e.g. "auto" resolved). */
  public String strategy() {
    return attention.layer(0).strategy().id();
  }

  public ParameterSet parameters() {
    return params;
  }

  public AdamW optimizer() {
    return optimizer;
  }

  /** Rank 0 writes the final weights to {@code spec.weights.save} (temp name, then rename). */
  public void saveFinal() {
    if (rank == 0 && !spec.getWeights().getSave().isBlank()) {
      WeightsIo.save(Path.of(spec.getWeights().getSave()), params);
    }
  }

  /**
   * Writes this rank's part of the checkpoint taken after {@code stepsDone} steps and returns the
   * files for the report: rank 0 the weights and the AdamW moments, every rank its cursor.
   */
  public List<CheckpointFile> writeCheckpoint(final CheckpointStore store, final long stepsDone) {
    final Path dir = store.stepDir(stepsDone);
    final List<CheckpointFile> files = new ArrayList<>();
    if (rank == 0) {
      final Path w = dir.resolve(WEIGHTS);
      WeightsIo.save(w, params);
      files.add(store.describe(w, rank));
      final Path o = dir.resolve(OPTIMIZER);
      Safetensors.write(o, optimizer.moments().views(), Map.of("format", "seqpar-adamw"));
      files.add(store.describe(o, rank));
    }
    final Path cursor = dir.resolve(String.format(Locale.ROOT, "rank-%05d.json", rank));
    CheckpointStore.writeAtomically(cursor, cursorJson(stepsDone).getBytes(StandardCharsets.UTF_8));
    files.add(store.describe(cursor, rank));
    return files;
  }

  /**
   * The rank's data cursor: the batcher is a pure function of the step, so the next step and the
   * shard fully determine where reading resumes; training draws no random numbers after init.
   */
  private String cursorJson(final long stepsDone) {
    return String.format(
        Locale.ROOT,
        "{\"rank\": %d, \"next_step\": %d, \"shard\": [%d, %d], \"seed\": %d, \"data\": \"%s\"}%n",
        rank,
        stepsDone,
        shard.getStartToken(),
        shard.getEndToken(),
        spec.getSeed(),
        source.name().replace("\\", "\\\\").replace("\"", "\\\""));
  }

  /**
   * Loads the weights and AdamW moments of a committed checkpoint after checking their SHA-256
   * against the manifest (the coordinator verified them at submit; a file changed since is still
   * refused, naming it and both hashes).
   */
  public void restore(final CheckpointStore store, final String manifestPath) {
    final CheckpointManifest m = store.read(manifestPath);
    final String stepDir = CheckpointStore.stepDirName(m.getStep()) + "/";
    CheckpointFile weights = null;
    CheckpointFile moments = null;
    for (final CheckpointFile f : m.getFilesList()) {
      if (f.getPath().equals(stepDir + WEIGHTS)) {
        weights = f;
      } else if (f.getPath().equals(stepDir + OPTIMIZER)) {
        moments = f;
      }
    }
    if (weights == null || moments == null) {
      throw new InvalidInputException(
          "checkpoint: manifest " + manifestPath + " names no " + WEIGHTS + " or " + OPTIMIZER);
    }
    store.verify(weights);
    store.verify(moments);
    WeightsIo.initFrom(store.resolve(weights.getPath()), params);
    Safetensors.load(store.resolve(moments.getPath()), optimizer.moments().views());
  }

  @Override
  public void close() {
    trainer.close();
    model.close();
    optimizer.close();
    attention.close();
    if (softmax != null) {
      softmax.close();
    }
    params.close();
    source.close();
  }
}
