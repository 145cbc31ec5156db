package io.seqpar.deploy.k8s;

import io.seqpar.proto.v1.ControlSpec;
import io.seqpar.proto.v1.DataSpec;
import io.seqpar.proto.v1.JobSpec;
import io.seqpar.proto.v1.ModelSpec;
import io.seqpar.proto.v1.OptimizerSpec;
import io.seqpar.proto.v1.ParallelSpec;
import io.seqpar.proto.v1.SyntheticData;

/**
 * The job {@code seqpar k8s render} uses when none is given: a small synthetic run (2 layers,
 * d_model 64, 256 tokens per worker, 100 steps) that exercises the whole gang without data files.
 */
public final class DefaultJob {
  public static final String NAME = "seqpar-run";

  /** Tokens per worker: every shard holds whole chunks. */
  static final int TOKENS_PER_WORKER = 256;

  /** Rendezvous deadline: longer than the 2-minute default, for scheduling and image pulls. */
  static final long RENDEZVOUS_TIMEOUT_MS = 600_000;

  private DefaultJob() {}

  /** The default job for {@code workers} workers (not yet validated). */
  public static JobSpec spec(final int workers) {
    return JobSpec.newBuilder()
        .setName(NAME)
        .setModel(
            ModelSpec.newBuilder()
                .setLayers(2)
                .setDModel(64)
                .setHeads(2)
                .setDk(32)
                .setDv(32)
                .setMlpRatio(4)
                .setVocab(256)
                .setDecayMode("const_decay"))
        .setParallel(ParallelSpec.newBuilder().setWorldSize(workers).setStrategy("allscan"))
        .setSeqLen((long) TOKENS_PER_WORKER * Math.max(1, workers))
        .setChunk(64)
        .setData(DataSpec.newBuilder().setSynthetic(SyntheticData.getDefaultInstance()).setBatch(1))
        .setOptimizer(OptimizerSpec.newBuilder().setLr(1e-3))
        .setSteps(100)
        .setSeed(1)
        // Pods of a large gang can take minutes to be scheduled and pull the image.
        .setControl(ControlSpec.newBuilder().setRendezvousTimeoutMs(RENDEZVOUS_TIMEOUT_MS))
        .build();
  }
}
