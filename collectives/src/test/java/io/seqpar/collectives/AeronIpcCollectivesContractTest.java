package io.seqpar.collectives;

/** The collective contract over Aeron IPC (all ranks clients of one embedded driver). */
class AeronIpcCollectivesContractTest extends AbstractCollectivesContractTest {
  @Override
  protected RankGroup.Kind kind() {
    return RankGroup.Kind.IPC;
  }
}
