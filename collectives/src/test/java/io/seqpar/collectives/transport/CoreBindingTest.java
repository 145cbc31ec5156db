package io.seqpar.collectives.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.seqpar.InvalidInputException;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CoreBindingTest {
  @Test
  void theSettingIsCoreByDefaultOrNoneAndAnythingElseIsAUsageError() {
    assertTrue(CoreBinding.enabled(null));
    assertTrue(CoreBinding.enabled(""));
    assertTrue(CoreBinding.enabled("core"));
    assertFalse(CoreBinding.enabled("none"));
    final InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> CoreBinding.enabled("cores"));
    assertTrue(e.getMessage().contains("SEQPAR_BIND"), e.getMessage());
    assertTrue(e.getMessage().contains("'cores'"), e.getMessage());
    assertTrue(e.getMessage().contains("core|none"), e.getMessage());
  }

  @Test
  void onlyGroupsOfTwoOrMoreRanksThatFitTheCoresBind() {
    final int cores = CoreBinding.hostCores();
    assertFalse(CoreBinding.applies(1, null), "a lone rank has nothing to be placed against");
    assertEquals(cores >= 2, CoreBinding.applies(2, null));
    assertEquals(cores >= 2, CoreBinding.applies(cores, "core"));
    assertFalse(CoreBinding.applies(cores + 1, null), "oversubscribed ranks are not bound");
    assertFalse(CoreBinding.applies(2, "none"));
  }

  @Test
  void bindingPinsOnlyTheCallingThreadAndTheHostCountStays() throws Exception {
    final List<Integer> before = CoreBinding.allowedCpus();
    assumeTrue(!before.isEmpty(), "sched_getaffinity unavailable (not Linux)");
    final int cpu = before.get(before.size() - 1);
    final AtomicReference<Object[]> seen = new AtomicReference<>();
    final Thread t =
        Thread.ofPlatform()
            .start(
                () ->
                    seen.set(
                        new Object[] {
                          CoreBinding.bindCallingThread(cpu),
                          CoreBinding.allowedCpus(),
                          Runtime.getRuntime().availableProcessors()
                        }));
    t.join(10_000);
    assertEquals(true, seen.get()[0], "sched_setaffinity refused");
    assertEquals(List.of(cpu), seen.get()[1]);
    assertEquals(1, seen.get()[2], "the JVM reports the bound thread's mask");
    assertEquals(before, CoreBinding.allowedCpus(), "other threads keep the process's mask");
    assertEquals(before.size(), CoreBinding.hostCores());
  }

  @Test
  void theNthRankTakesTheNthAllowedCpuAndTooManyRanksBindNone() throws Exception {
    final List<Integer> allowed = CoreBinding.allowedCpus();
    assumeTrue(allowed.size() >= 2, "needs two CPUs, has " + allowed);
    final int[] got = new int[3];
    final Thread t =
        Thread.ofPlatform()
            .start(
                () -> {
                  got[0] = CoreBinding.bindIfOwnCore(allowed.size() + 1, allowed.size() + 1);
                  got[1] = CoreBinding.allowedCpus().size();
                  got[2] = CoreBinding.bindIfOwnCore(1, 2);
                });
    t.join(10_000);
    assertEquals(-1, got[0], "more ranks than cores: not bound");
    assertEquals(allowed.size(), got[1]);
    final boolean bindOff = "none".equals(System.getenv(CoreBinding.ENV));
    assertEquals(bindOff ? -1 : allowed.get(1), got[2]);
  }
}
