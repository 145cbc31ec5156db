package io.seqpar.collectives;

/** The collective contract over {@link io.seqpar.collectives.transport.InMemoryTransport}. */
class InMemoryCollectivesContractTest extends AbstractCollectivesContractTest {
  @Override
  protected RankGroup.Kind kind() {
    return RankGroup.Kind.INMEM;
  }
}
