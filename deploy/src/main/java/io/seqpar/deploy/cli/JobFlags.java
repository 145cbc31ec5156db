package io.seqpar.deploy.cli;

import io.seqpar.proto.v1.JobSpec;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Job flags on top of a base spec (the embedded default job or {@code --job FILE}): each flag given
 * overrides one field; flags not given leave the base untouched. Validation happens once, on the
 * merged spec, so messages name the spec field (e.g. {@code model.d_model}).
 */
public final class JobFlags {
  @Option(names = "--steps", paramLabel = "N", description = "Training steps.")
  Long steps;

  @Option(names = "--seed", description = "Seed for initialisation and synthetic data.")
  Long seed;

  @Option(names = "--layers", description = "Model layers.")
  Integer layers;

  @Option(names = "--d-model", paramLabel = "D", description = "Residual width.")
  Integer dModel;

  @Option(names = "--heads", description = "Attention heads (dk = dv = d-model / heads).")
  Integer heads;

  @Option(names = "--seq-len", paramLabel = "T", description = "Tokens per sequence (sharded).")
  Long seqLen;

  @Option(names = "--batch", paramLabel = "B", description = "Sequences per step.")
  Integer batch;

  @Option(names = "--decay", description = "plain | const_decay | gla.")
  String decay;

  @Option(names = "--strategy", description = "allscan | allgather | chain | tree | auto.")
  String strategy;

  @Option(
      names = "--layer-pattern",
      paramLabel = "LS",
      description = "Layer kinds, repeated over the layers: L linear, S softmax (e.g. LLLS).")
  String layerPattern;

  @Option(
      names = "--softmax-strategy",
      description = "Softmax layers: ring | ring-zigzag | allgather-kv.")
  String softmaxStrategy;

  @Option(names = "--chunk", paramLabel = "C", description = "Chunk size of the kernel.")
  Integer chunk;

  @Option(names = "--lr", description = "Peak learning rate.")
  Double lr;

  @Option(names = "--data", paramLabel = "FILE", description = "Train on raw bytes of FILE.")
  Path dataFile;

  @Option(names = "--data-npy", paramLabel = "FILE", description = "Train on int32 token ids.")
  Path dataNpy;

  @Option(
      names = "--checkpoint-every",
      paramLabel = "N",
      description = "Checkpoint every N steps (0 = off).")
  Long checkpointEvery;

  @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "Checkpoint directory.")
  Path checkpointDir;

  @Option(names = "--resume", description = "Resume from the last committed checkpoint.")
  boolean resume;

  @Option(
      names = "--dump-grads",
      paramLabel = "DIR",
      description = "After step 1's all-reduce: one .npy per gradient plus loss.npy.")
  Path dumpGrads;

  @Option(names = "--init-from", paramLabel = "FILE", description = "Initial weights.")
  Path initFrom;

  @Option(names = "--save", paramLabel = "FILE", description = "Write final weights here.")
  Path save;

  /** {@code base} with every given flag applied. */
  public JobSpec applyTo(final JobSpec base) {
    final JobSpec.Builder b = base.toBuilder();
    if (steps != null) {
      b.setSteps(steps);
    }
    if (seed != null) {
      b.setSeed(seed);
    }
    if (layers != null) {
      b.getModelBuilder().setLayers(layers);
    }
    if (dModel != null) {
      b.getModelBuilder().setDModel(dModel);
    }
    if (heads != null) {
      b.getModelBuilder().setHeads(heads);
    }
    if ((dModel != null || heads != null) && b.getModel().getHeads() > 0) {
      final int head = b.getModel().getDModel() / b.getModel().getHeads();
      b.getModelBuilder().setDk(head).setDv(head);
    }
    if (seqLen != null) {
      b.setSeqLen(seqLen);
    }
    if (batch != null) {
      b.getDataBuilder().setBatch(batch);
    }
    if (decay != null) {
      b.getModelBuilder().setDecayMode(decay);
    }
    if (strategy != null) {
      b.getParallelBuilder().setStrategy(strategy);
    }
    if (layerPattern != null) {
      b.getModelBuilder().setLayerPattern(layerPattern);
    }
    if (softmaxStrategy != null) {
      b.getParallelBuilder().setSoftmaxStrategy(softmaxStrategy);
    }
    if (chunk != null) {
      b.setChunk(chunk);
    }
    if (lr != null) {
      b.getOptimizerBuilder().setLr(lr);
    }
    if (dataFile != null) {
      b.getDataBuilder().setFilePath(dataFile.toAbsolutePath().toString());
    }
    if (dataNpy != null) {
      b.getDataBuilder().setNpyPath(dataNpy.toAbsolutePath().toString());
    }
    if (checkpointEvery != null) {
      b.getCheckpointBuilder().setIntervalSteps(checkpointEvery);
    }
    if (checkpointDir != null) {
      b.getCheckpointBuilder().setDir(checkpointDir.toAbsolutePath().toString());
    }
    if (resume) {
      b.getCheckpointBuilder().setResume(true);
    }
    if (dumpGrads != null) {
      b.getWeightsBuilder().setDumpGrads(dumpGrads.toAbsolutePath().toString());
    }
    if (initFrom != null) {
      b.getWeightsBuilder().setInitFrom(initFrom.toAbsolutePath().toString());
    }
    if (save != null) {
      b.getWeightsBuilder().setSave(save.toAbsolutePath().toString());
    }
    return b.build();
  }
}
