package io.seqpar.collectives;

/** The collective contract over Aeron UDP on loopback (port-0 endpoints, resolved peer table). */
class AeronUdpCollectivesContractTest extends AbstractCollectivesContractTest {
  @Override
  protected RankGroup.Kind kind() {
    return RankGroup.Kind.UDP;
  }
}
