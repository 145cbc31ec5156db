package io.seqpar.collectives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.collectives.algo.AllGather;
import io.seqpar.collectives.algo.AllReduce;
import io.seqpar.collectives.algo.AllScan;
import io.seqpar.collectives.transport.AeronTransport;
import io.seqpar.collectives.transport.EmbeddedDriver;
import io.seqpar.collectives.transport.InMemoryTransport;
import org.junit.jupiter.api.Test;

/** The defaults that depend on message size and on how many ranks share the host's cores. */
class OversubscriptionTuningTest {
  private static final int CORES = Runtime.getRuntime().availableProcessors();

  @Test
  void allReduceSharesMemoryWhereRanksOutnumberCoresAndHalvesOnlyBeyondThat() {
    assertEquals(ExchangePattern.SHARED, ExchangePattern.reduceDefault(true, 8, 4 << 20));
    assertEquals(ExchangePattern.SHARED, ExchangePattern.reduceDefault(true, 4, 256 << 10));
    assertEquals(ExchangePattern.SHARED, ExchangePattern.reduceDefault(true, 3, 4));
    assertEquals(ExchangePattern.RING, ExchangePattern.reduceDefault(true, 8, (4 << 20) + 4));
    assertEquals(ExchangePattern.RING, ExchangePattern.reduceDefault(true, 4, (256 << 10) + 4));
    assertEquals(ExchangePattern.RING, ExchangePattern.reduceDefault(false, 8, 256 << 10));
    assertEquals(ExchangePattern.HALVING, ExchangePattern.reduceMessageDefault(true, 8, 256 << 10));
    assertEquals(ExchangePattern.HALVING, ExchangePattern.reduceMessageDefault(true, 16, 1 << 20));
    assertEquals(
        ExchangePattern.RING, ExchangePattern.reduceMessageDefault(true, 8, (1 << 20) + 4));
    assertEquals(ExchangePattern.RING, ExchangePattern.reduceMessageDefault(true, 4, 256 << 10));
    assertEquals(ExchangePattern.RING, ExchangePattern.reduceMessageDefault(true, 12, 256 << 10));
    assertEquals(ExchangePattern.RING, ExchangePattern.reduceMessageDefault(false, 8, 256 << 10));
  }

  @Test
  void termLengthHoldsTwoMessagesPerWindowBetweenTheDefaultAndSixteenMiB() {
    assertEquals(4 << 20, AeronTransport.termLengthFor(4));
    assertEquals(4 << 20, AeronTransport.termLengthFor(1 << 20));
    assertEquals(8 << 20, AeronTransport.termLengthFor((1 << 20) + 4));
    assertEquals(16 << 20, AeronTransport.termLengthFor(4 << 20));
    assertEquals(16 << 20, AeronTransport.termLengthFor(1L << 30));
  }

  @Test
  void allScanUsesFewerLargerBlocksWhenRanksOutnumberCores() {
    // 1 head, 4096 rows of 256 floats: 4 MiB.
    final ScanShape fourMiB = new ScanShape(1, 4096, 256);
    assertEquals(16, AllScan.defaultBlocks(fourMiB, false));
    assertEquals(8, AllScan.defaultBlocks(fourMiB, true));
    final ScanShape oneMiB = new ScanShape(1, 1024, 256);
    assertEquals(8, AllScan.defaultBlocks(oneMiB, false));
    assertEquals(2, AllScan.defaultBlocks(oneMiB, true));
    assertEquals(1, AllScan.defaultBlocks(new ScanShape(1, 256, 256), true)); // 256 KiB
    // Never more blocks than rows.
    assertEquals(2, AllScan.defaultBlocks(new ScanShape(1, 2, 1 << 20), false));
    // Two ranks: nothing to pipeline, one block; from three on, by size.
    assertEquals(1, AllScan.defaultBlocks(fourMiB, 2, false));
    assertEquals(16, AllScan.defaultBlocks(fourMiB, 3, false));
    assertEquals(8, AllScan.defaultBlocks(fourMiB, 8, true));
  }

  @Test
  void communicatorReportsOversubscriptionFromLocalRanks() {
    final InMemoryTransport[] group = InMemoryTransport.group(3); // P > 2: K by size
    try (Communicator alone = new Communicator(group[0], new CollectiveContext());
        Communicator crowded =
            new Communicator(group[1], new CollectiveContext().localRanks(CORES + 1))) {
      assertFalse(alone.oversubscribed());
      assertTrue(crowded.oversubscribed());
      final ScanShape shape = new ScanShape(1, 4096, 256);
      assertEquals(16, new AllScan(alone, shape, 0).blocks());
      assertEquals(8, new AllScan(crowded, shape, 0).blocks());
      // AllGather goes direct where ranks outnumber cores. AllReduce would share memory, but an
      // in-memory transport has none: it falls back to the ring (P = 2 is not a power of two >= 8).
      assertEquals(ExchangePattern.RING, new AllGather(alone).pattern());
      assertEquals(ExchangePattern.DIRECT, new AllGather(crowded).pattern());
      assertEquals(ExchangePattern.RING, new AllReduce(crowded, 1 << 20).pattern());
      assertEquals(ExchangePattern.RING, new AllReduce(crowded, 64 << 10).pattern());
      assertEquals(
          ExchangePattern.DIRECT, new AllGather(crowded, ExchangePattern.SHARED).pattern());
    }
    final IllegalArgumentException bad =
        assertThrows(
            IllegalArgumentException.class, () -> new CollectiveContext().localRanks(0).conclude());
    assertEquals("localRanks must be >= 1, got 0", bad.getMessage());
  }

  @Test
  void oversubscribedRanksNeverSpinAndParkEarly() {
    final String crowded = EmbeddedDriver.idleDescription(CORES + 1);
    assertTrue(crowded.contains("maxSpins=0"), crowded);
    assertTrue(crowded.contains("maxYields=10"), crowded);
    assertTrue(crowded.contains("maxParkPeriodNs=1000000"), crowded);
    final String alone = EmbeddedDriver.idleDescription(1);
    assertTrue(alone.contains("maxParkPeriodNs=100000"), alone);
  }

  @Test
  void driverServingMoreRanksThanCoresYieldsLessAndParksLonger() {
    final String crowded = EmbeddedDriver.driverIdleStrategy(CORES + 1).toString();
    assertTrue(crowded.contains("maxSpins=10"), crowded);
    assertTrue(crowded.contains("maxYields=100,"), crowded);
    assertTrue(crowded.contains("minParkPeriodNs=100000"), crowded);
    assertTrue(crowded.contains("maxParkPeriodNs=1000000"), crowded);
    final String alone = EmbeddedDriver.driverIdleStrategy(CORES).toString();
    assertEquals(EmbeddedDriver.parkingIdleStrategy().toString(), alone);
    assertTrue(alone.contains("maxYields=1000,"), alone);
  }
}
