package io.seqpar.deploy.cli;

import io.seqpar.proto.v1.CheckpointSpec;
import io.seqpar.proto.v1.DataSpec;
import io.seqpar.proto.v1.JobSpec;
import io.seqpar.proto.v1.ModelSpec;
import io.seqpar.proto.v1.OptimizerSpec;
import io.seqpar.proto.v1.ParallelSpec;
import io.seqpar.proto.v1.SyntheticData;

/**
 * The embedded default job of {@code seqpar run}: a small GLA model on the synthetic long-range
 * data (key-value pairs recalled ~4,000 tokens later), sharded over the workers with All-Scan.
 * Sized to finish in about a minute on a 2-core machine while showing the loss fall.
 */
public final class DefaultJob {
  /** Workers of the default run. */
  public static final int WORKERS = 4;

  private DefaultJob() {}

  /** The default job for {@code workers} workers. */
  public static JobSpec spec(final int workers) {
    return JobSpec.newBuilder()
        .setName("seqpar-run")
        .setModel(
            ModelSpec.newBuilder()
                .setLayers(2)
                .setDModel(64)
                .setHeads(2)
                .setDk(32)
                .setDv(32)
                .setMlpRatio(2)
                .setVocab(256)
                .setDecayMode("gla"))
        .setParallel(ParallelSpec.newBuilder().setWorldSize(workers).setStrategy("allscan"))
        .setSeqLen(8192)
        .setChunk(64)
        .setData(DataSpec.newBuilder().setSynthetic(SyntheticData.getDefaultInstance()).setBatch(1))
        .setOptimizer(
            OptimizerSpec.newBuilder()
                .setLr(1e-2)
                .setWarmupSteps(3)
                .setWeightDecay(0.01)
                .setClipNorm(1.0))
        .setSteps(40)
        .setSeed(1)
        .setCheckpoint(CheckpointSpec.newBuilder().setIntervalSteps(0))
        .build();
  }
}
