package io.seqpar.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.seqpar.coordinator.job.ShardPlanner;
import io.seqpar.proto.v1.ShardRange;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ShardPlannerTest {
  @Test
  void matchesTheOracleExample() {
    final List<ShardRange> plan = ShardPlanner.plan(257, 4);
    final long[][] expected = {{0, 65}, {65, 129}, {129, 193}, {193, 257}};
    for (int r = 0; r < 4; r++) {
      assertEquals(r, plan.get(r).getRank());
      assertEquals(expected[r][0], plan.get(r).getStartToken(), "start of rank " + r);
      assertEquals(expected[r][1], plan.get(r).getEndToken(), "end of rank " + r);
      assertEquals(
          expected[r][0] + 1, plan.get(r).getFirstTargetToken(), "first target of rank " + r);
    }
  }

  @Test
  void emptyShardsWhenFewerTokensThanRanks() {
    final List<ShardRange> plan = ShardPlanner.plan(1, 4);
    assertEquals(1, plan.get(0).getEndToken());
    for (int r = 1; r < 4; r++) {
      assertEquals(1, plan.get(r).getStartToken());
      assertEquals(1, plan.get(r).getEndToken());
    }
  }
}
