package io.seqpar.worker.kernel;

import static io.seqpar.testing.TensorAssert.assertClose;

import io.seqpar.testing.OracleCase;
import io.seqpar.worker.attention.AttentionInputs;
import io.seqpar.worker.attention.AttentionOutputs;
import io.seqpar.worker.attention.LinearAttentionRunner;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The kernel against the independent float64 oracle, with the oracle's own tolerances. */
@Timeout(300)
class OracleKernelTest {

  static Stream<Arguments> casesAndChunks() {
    final List<Arguments> out = new ArrayList<>();
    for (final String name : OracleCase.names()) {
      for (final int chunk : new int[] {1, 16, 64, 100}) {
        out.add(Arguments.of(name, chunk));
      }
    }
    return out.stream();
  }

  static Stream<String> cases() {
    return OracleCase.names().stream();
  }

  @ParameterizedTest(name = "{0} C={1}")
  @MethodSource("casesAndChunks")
  void forwardAndBackwardMatchOracle(final String name, final int chunk) {
    final OracleCase c = OracleCase.load(name);
    try (AttentionInputs in = AttentionInputs.load(c.dir());
        AttentionOutputs out = LinearAttentionRunner.run(in, chunk)) {
      for (final String t : out.names()) {
        assertClose(
            name + " C=" + chunk + " " + t, c.expected(t), out.view(t).toArray(), c.tolerance(t));
      }
    }
  }

  /** Γ, ΔS and ΔdS of every shard, from the kernel's summary entry points. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void shardSummariesMatchOracle(final String name) {
    final OracleCase c = OracleCase.load(name);
    final DecayMode mode = DecayMode.fromId(c.mode());
    final int b = c.b();
    final int h = c.h();
    final int t = c.t();
    final int dk = c.dk();
    final int dv = c.dv();
    final float[] q = c.input("q");
    final float[] k = c.input("k");
    final float[] v = c.input("v");
    final float[] dO = c.input("dO");
    final float[] g = c.hasInput("g") ? c.input("g") : null;
    final float[] lambda = c.hasInput("decay") ? c.input("decay") : null;
    final ChunkedLinearAttention kern = new ChunkedLinearAttention(mode, 16, dk, dv);
    for (final int p : c.shardCounts()) {
      final int[][] ranges = c.shardRanges(p);
      final double[] decay = new double[p * b * h * dk];
      final double[] state = new double[p * b * h * dk * dv];
      final double[] dstate = new double[p * b * h * dk * dv];
      try (Arena a = Arena.ofConfined()) {
        for (int r = 0; r < p; r++) {
          final int start = ranges[r][0];
          final int len = ranges[r][1] - start;
          for (int bh = 0; bh < b * h; bh++) {
            final float logLambda = lambda == null ? 0f : (float) Math.log(lambda[bh % h]);
            final MemorySegment qs = rows(a, q, bh, t, start, len, dk);
            final MemorySegment ks = rows(a, k, bh, t, start, len, dk);
            final MemorySegment vs = rows(a, v, bh, t, start, len, dv);
            final MemorySegment dos = rows(a, dO, bh, t, start, len, dv);
            final MemorySegment gs = g == null ? null : rows(a, g, bh, t, start, len, dk);
            final MemorySegment logG = a.allocate(4L * dk);
            final MemorySegment s = a.allocate(4L * dk * dv);
            final MemorySegment ds = a.allocate(4L * dk * dv);
            kern.localLogDecay(logG, gs, logLambda, len);
            kern.localState(s, ks, vs, gs, logLambda, len);
            kern.localStateGradient(ds, dos, qs, gs, logLambda, len);
            final int pair = r * b * h + bh;
            for (int i = 0; i < dk; i++) {
              decay[pair * dk + i] = Math.exp(logG.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            }
            for (int i = 0; i < dk * dv; i++) {
              state[pair * dk * dv + i] = s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
              dstate[pair * dk * dv + i] = ds.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            }
          }
        }
      }
      final String pre = "shard_P" + p + "_";
      assertClose(
          name + " " + pre + "local_decay",
          c.expected(pre + "local_decay"),
          decay,
          c.tolerance(pre + "local_decay"));
      assertClose(
          name + " " + pre + "local_state",
          c.expected(pre + "local_state"),
          state,
          c.tolerance(pre + "local_state"));
      assertClose(
          name + " " + pre + "local_dstate",
          c.expected(pre + "local_dstate"),
          dstate,
          c.tolerance(pre + "local_dstate"));
    }
  }

  /** Rows [start, start+len) of head bh of a [B*H, T, width] tensor, copied off-heap. */
  private static MemorySegment rows(
      final Arena a,
      final float[] x,
      final int bh,
      final int t,
      final int start,
      final int len,
      final int width) {
    final MemorySegment s = a.allocate(4L * len * width, 64);
    MemorySegment.copy(x, (bh * t + start) * width, s, ValueLayout.JAVA_FLOAT, 0, len * width);
    return s;
  }
}
