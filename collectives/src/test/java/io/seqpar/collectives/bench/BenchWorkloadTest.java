package io.seqpar.collectives.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.seqpar.collectives.ExchangePattern;
import io.seqpar.collectives.bench.BenchWorkload.WarmupCase;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchWorkloadTest {
  private static final int KIB = 1024;

  private static BenchSpec spec(
      final BenchOp op, final long min, final long max, final int blocks, final int jitWarmup) {
    return new BenchSpec(op, min, max, 4, 5, 20, blocks, jitWarmup, null);
  }

  @Test
  void warmupRunsEveryTimedSizeUpToTheLargeOneAndTheBlockCountOfTheLargestSizes() {
    // P = 8 on 2 cores: 4 MiB scans in K = 4 blocks where 512 KiB scans in one.
    final List<WarmupCase> plan =
        BenchWorkload.warmupPlan(spec(BenchOp.ALLSCAN, 256 * KIB, 4096 * KIB, 0, 4000), 8, true);
    assertEquals(
        List.of(
            new WarmupCase(64 * KIB, 0, 4000),
            new WarmupCase(256 * KIB, 0, 1000),
            new WarmupCase(512 * KIB, 0, 1000),
            new WarmupCase(512 * KIB, 4, 1000)),
        plan);
  }

  @Test
  void noExtraBlockCaseWhereTheLargestSizeScansInOneBlockOrTheUserSetK() {
    // 256 KiB is one block when ranks outnumber cores.
    assertEquals(
        List.of(new WarmupCase(64 * KIB, 0, 4000), new WarmupCase(256 * KIB, 0, 1000)),
        BenchWorkload.warmupPlan(spec(BenchOp.ALLSCAN, 256 * KIB, 256 * KIB, 0, 4000), 8, true));
    // The user's K everywhere: the warm-up runs it at every size.
    assertEquals(
        List.of(
            new WarmupCase(64 * KIB, 2, 400),
            new WarmupCase(256 * KIB, 2, 100),
            new WarmupCase(512 * KIB, 2, 100)),
        BenchWorkload.warmupPlan(spec(BenchOp.ALLSCAN, 256 * KIB, 4096 * KIB, 2, 400), 8, true));
    // Not a K-blocked op.
    assertEquals(
        List.of(
            new WarmupCase(64 * KIB, 0, 4000),
            new WarmupCase(256 * KIB, 0, 1000),
            new WarmupCase(512 * KIB, 0, 1000)),
        BenchWorkload.warmupPlan(spec(BenchOp.ALLREDUCE, 256 * KIB, 4096 * KIB, 0, 4000), 8, true));
  }

  @Test
  void smallSweepsWarmUpAtTheirOwnSizes() {
    // Sizes below the small warm-up size are their own small case; nothing is run twice.
    assertEquals(
        List.of(
            new WarmupCase(4 * KIB, 0, 8),
            new WarmupCase(16 * KIB, 0, 2),
            new WarmupCase(64 * KIB, 0, 2)),
        BenchWorkload.warmupPlan(spec(BenchOp.ALLGATHER, 4 * KIB, 64 * KIB, 0, 8), 3, false));
    assertEquals(
        List.of(new WarmupCase(4 * KIB, 0, 1)),
        BenchWorkload.warmupPlan(spec(BenchOp.ALLSCAN, 4 * KIB, 4 * KIB, 0, 1), 2, false));
  }

  @Test
  void exchangePatternAndReportedAlgorithmFollowTheDefaultsUnlessForced() {
    final BenchSpec gather = spec(BenchOp.ALLGATHER_RAW, 4 * KIB, 4 * KIB, 0, 0);
    assertEquals(ExchangePattern.DIRECT, gather.patternFor(true, 4, 4 * KIB));
    assertEquals(ExchangePattern.RING, gather.patternFor(false, 4, 4 * KIB));
    assertEquals("direct", BenchOp.ALLGATHER_RAW.algorithm(gather.patternFor(true, 4, 4 * KIB)));
    final BenchSpec reduce = spec(BenchOp.ALLREDUCE, 4 * KIB, 4 * KIB, 0, 0);
    assertEquals(ExchangePattern.SHARED, reduce.patternFor(true, 4, 4 * KIB));
    assertEquals(ExchangePattern.RING, reduce.patternFor(false, 4, 4 * KIB));
    assertEquals("shared", BenchOp.ALLREDUCE.algorithm(reduce.patternFor(true, 4, 4 * KIB)));
    assertEquals(
        "one-round<=64KiB,ring", BenchOp.ALLREDUCE.algorithm(reduce.patternFor(false, 4, 4 * KIB)));
    final BenchSpec forced =
        new BenchSpec(BenchOp.ALLGATHER_RAW, 4, 4, 2, 1, 1, 0, 0, ExchangePattern.RING);
    assertEquals(ExchangePattern.RING, forced.patternFor(true, 4, 4));
    assertNull(spec(BenchOp.ALLSCAN, 4, 4, 0, 0).patternFor(true, 4, 4));
    assertEquals("zeco-allscan", BenchOp.ALLSCAN.algorithm(null));
    assertNull(BenchSpec.parsePattern("auto"));
    assertEquals(ExchangePattern.HALVING, BenchSpec.parsePattern("halving"));
    assertEquals(ExchangePattern.SHARED, BenchSpec.parsePattern("shared"));
    assertEquals(ExchangePattern.SHARED, reduce.patternFor(true, 8, 4096 * KIB));
    assertEquals(ExchangePattern.RING, reduce.patternFor(true, 8, 8192 * KIB));
    assertEquals(ExchangePattern.RING, reduce.patternFor(true, 4, 1024 * KIB));
    assertEquals(ExchangePattern.RING, reduce.patternFor(false, 8, 256 * KIB));
    assertEquals("shared<=4MiB,ring", reduce.algorithmFor(true, 8));
    assertEquals("shared<=256KiB,ring", reduce.algorithmFor(true, 4));
    assertEquals("one-round<=64KiB,ring", reduce.algorithmFor(false, 8));
  }
}
