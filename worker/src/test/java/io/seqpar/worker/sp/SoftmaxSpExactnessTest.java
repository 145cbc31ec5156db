package io.seqpar.worker.sp;

import static io.seqpar.testing.TensorAssert.assertClose;

import io.seqpar.testing.Tolerance;
import io.seqpar.worker.attention.AttentionInputs;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 9 acceptance: ring (contiguous and zigzag) and AllGather-KV equal dense causal softmax
 * attention in float64 — o, dq, dk, dv — for P ∈ {1, 2, 3, 4, 8}, shards of unequal length (T not a
 * multiple of P or 2P) and head dims from 16 to 64 (dk ≠ dv included). Ranks are threads over the
 * in-memory transport.
 */
class SoftmaxSpExactnessTest {
  /** float32 storage and accumulation vs float64: measured ≤ 2e-6 relative (Frobenius). */
  private static final Tolerance TOL = Tolerance.relFro(2e-5);

  static Stream<Arguments> grid() {
    final List<Arguments> out = new ArrayList<>();
    final int[][] dims = {{16, 16}, {32, 24}, {64, 64}, {16, 48}, {48, 32}};
    final int[] ps = {1, 2, 3, 4, 8};
    for (final SoftmaxStrategy s : SoftmaxStrategy.values()) {
      for (int i = 0; i < ps.length; i++) {
        final int p = ps[i];
        final int[] d = dims[(i + s.ordinal()) % dims.length];
        // uneven: T mod 2P ≠ 0; P = 1 spans several 64×128 tiles
        final int t = p == 1 ? 301 : 23 * p + 2 * p - 1;
        out.add(Arguments.of(s, p, t, d[0], d[1]));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} P={1} T={2} dk={3} dv={4}")
  @MethodSource("grid")
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void equalsDenseCausalAttentionInFloat64(
      final SoftmaxStrategy strategy, final int p, final int t, final int dk, final int dv) {
    final int b = 1;
    final int h = 2;
    final Random rng = new Random(1000L * p + t + dk);
    final float[] q = gaussian(rng, b * h * t * dk, 1.0);
    final float[] k = gaussian(rng, b * h * t * dk, 1.0);
    final float[] v = gaussian(rng, b * h * t * dv, 1.0);
    final float[] dO = gaussian(rng, b * h * t * dv, 1.0);
    final SoftmaxReference ref = new SoftmaxReference(q, k, v, dO, b * h, t, dk, dv);
    try (AttentionInputs in = AttentionInputs.of(b, h, t, dk, dv, q, k, v, dO, null, null);
        SoftmaxAttentionRunner.Result r =
            SoftmaxAttentionRunner.runInMemory(in, p, strategy, TimeUnit.SECONDS.toNanos(30))) {
      final String label = strategy.id() + " P=" + p + " ";
      assertClose(label + "o", ref.o, r.outputs().view("o").toArray(), TOL);
      assertClose(label + "dq", ref.dq, r.outputs().view("dq").toArray(), TOL);
      assertClose(label + "dk", ref.dk, r.outputs().view("dk").toArray(), TOL);
      assertClose(label + "dv", ref.dv, r.outputs().view("dv").toArray(), TOL);
    }
  }

  static float[] gaussian(final Random rng, final int n, final double std) {
    final float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (rng.nextGaussian() * std);
    }
    return x;
  }
}
