package io.seqpar.coordinator;

import io.seqpar.proto.v1.CheckpointSpec;
import io.seqpar.proto.v1.ControlSpec;
import io.seqpar.proto.v1.DataSpec;
import io.seqpar.proto.v1.JobSpec;
import io.seqpar.proto.v1.ModelSpec;
import io.seqpar.proto.v1.OptimizerSpec;
import io.seqpar.proto.v1.ParallelSpec;
import io.seqpar.proto.v1.SyntheticData;

/** Valid job specs for tests. */
public final class TestSpecs {
  private TestSpecs() {}

  /** A small valid spec for {@code worldSize} ranks over {@code seqLen} tokens. */
  public static JobSpec valid(final int worldSize, final long seqLen) {
    return JobSpec.newBuilder()
        .setName("test-job")
        .setModel(
            ModelSpec.newBuilder()
                .setLayers(2)
                .setDModel(64)
                .setHeads(2)
                .setDk(32)
                .setDv(32)
                .setMlpRatio(4)
                .setVocab(256)
                .setDecayMode("gla"))
        .setParallel(
            ParallelSpec.newBuilder()
                .setWorldSize(worldSize)
                .setStrategy("allscan")
                .setAllscanBlocks(4))
        .setSeqLen(seqLen)
        .setChunk(1)
        .setData(DataSpec.newBuilder().setSynthetic(SyntheticData.getDefaultInstance()).setBatch(1))
        .setOptimizer(
            OptimizerSpec.newBuilder()
                .setLr(1e-3)
                .setWarmupSteps(1)
                .setWeightDecay(0.1)
                .setClipNorm(1))
        .setSteps(3)
        .setCheckpoint(CheckpointSpec.newBuilder().setDir("/tmp/ckpt").setIntervalSteps(0))
        .setSeed(7)
        .setControl(
            ControlSpec.newBuilder()
                .setRendezvousTimeoutMs(60_000)
                .setHeartbeatIntervalMs(2_000)
                .setHeartbeatTimeoutMs(2_500))
        .build();
  }
}
