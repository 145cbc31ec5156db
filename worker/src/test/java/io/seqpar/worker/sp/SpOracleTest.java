package io.seqpar.worker.sp;

import static io.seqpar.testing.TensorAssert.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import io.seqpar.testing.OracleCase;
import io.seqpar.worker.attention.AttentionInputs;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SP operator over the in-memory transport equals the float64 oracle for every case, strategy,
 * rank count (odd, uneven, and more ranks than tokens) and chunk size (algorithms.md §7 property
 * 2).
 */
@Timeout(600)
class SpOracleTest {
  private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);

  static Stream<Arguments> grid() {
    final List<Arguments> out = new ArrayList<>();
    for (final String name : OracleCase.names()) {
      final int t = OracleCase.load(name).t();
      for (final SpStrategy s :
          List.of(SpStrategy.ALLSCAN, SpStrategy.ALLGATHER, SpStrategy.CHAIN, SpStrategy.TREE)) {
        for (final int p : new int[] {1, 2, 3, 4, 7}) {
          out.add(Arguments.of(name, s, p));
        }
        if (t <= 7 && t + 1 != 2) {
          out.add(Arguments.of(name, s, t + 1)); // more ranks than tokens: empty ranks
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} P={2}")
  @MethodSource("grid")
  void matchesOracle(final String name, final SpStrategy strategy, final int ranks) {
    final OracleCase c = OracleCase.load(name);
    try (AttentionInputs in = AttentionInputs.load(c.dir())) {
      for (final int chunk : new int[] {1, 16, 64}) {
        try (SpAttentionRunner.Result r =
            SpAttentionRunner.runInMemory(in, chunk, ranks, strategy, 0, TIMEOUT_NS)) {
          for (final String t : r.outputs().names()) {
            assertClose(
                name + " " + strategy.id() + " P=" + ranks + " C=" + chunk + " " + t,
                c.expected(t),
                r.outputs().view(t).toArray(),
                c.tolerance(t));
          }
        }
      }
    }
  }

  /** §7 property 12: states received per pass, per strategy. */
  @ParameterizedTest
  @EnumSource(
      value = SpStrategy.class,
      names = {"ALLSCAN", "ALLGATHER", "CHAIN", "TREE"})
  void eachRankReceivesTheStatesItsStrategyPromises(final SpStrategy strategy) {
    final OracleCase c = OracleCase.load("gla_B2_H2_T257_dk16_dv16");
    final int stateBytes = 2 * 2 * 16 * 16 * Float.BYTES;
    for (final int p : new int[] {1, 2, 3, 4, 7}) {
      try (AttentionInputs in = AttentionInputs.load(c.dir());
          SpAttentionRunner.Result r =
              SpAttentionRunner.runInMemory(in, 16, p, strategy, 0, TIMEOUT_NS)) {
        final int log2 = 32 - Integer.numberOfLeadingZeros(p - 1);
        int maxTree = 0;
        for (int rank = 0; rank < p; rank++) {
          final long fwd = r.forward()[rank].statesReceived();
          final long bwd = r.backward()[rank].statesReceived();
          switch (strategy) {
            case ALLSCAN, CHAIN -> {
              assertThat(fwd).as("fwd rank %d of %d", rank, p).isEqualTo(rank == 0 ? 0 : 1);
              assertThat(bwd).as("bwd rank %d of %d", rank, p).isEqualTo(rank == p - 1 ? 0 : 1);
              if (rank > 0) {
                assertThat(r.forward()[rank].bytesReceived()).isEqualTo(stateBytes);
              }
            }
            case ALLGATHER -> {
              assertThat(fwd).isEqualTo(p - 1);
              assertThat(bwd).isEqualTo(p - 1);
            }
            case TREE -> {
              assertThat(fwd).isLessThanOrEqualTo(log2);
              assertThat(bwd).isLessThanOrEqualTo(log2);
              maxTree = (int) Math.max(maxTree, Math.max(fwd, bwd));
            }
            default -> throw new AssertionError(strategy);
          }
        }
        if (strategy == SpStrategy.TREE) {
          assertThat(maxTree).as("tree rounds at P=%d", p).isEqualTo(log2);
        }
      }
    }
  }
}
