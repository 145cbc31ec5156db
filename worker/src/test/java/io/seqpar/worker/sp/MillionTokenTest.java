package io.seqpar.worker.sp;

import static org.assertj.core.api.Assertions.assertThat;

import io.seqpar.worker.kernel.DecayMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The million-token check: T = 1,048,576 tokens on P = 8 rank processes over Aeron IPC, H = 2, dk =
 * dv = 32, forward + backward; sampled output rows (every rank boundary among them) match a float64
 * streaming recurrence computed here from the same per-position inputs.
 */
class MillionTokenTest {
  private static final int T = 1 << 20;
  private static final int P = 8;
  private static final int H = 2;
  private static final int D = 32;

  @ParameterizedTest
  @EnumSource(
      value = DecayMode.class,
      names = {"CONST_DECAY", "GLA"})
  @Timeout(900)
  void millionTokensOnEightProcessesMatchTheStreamingRecurrence(final DecayMode mode) {
    final SyntheticAttention problem = new SyntheticAttention(mode, 11, H, D, D);
    final long[] samples = samples();
    final Map<String, float[]> got = new ConcurrentHashMap<>();
    final String sampleArg =
        String.join(",", Arrays.stream(samples).mapToObj(Long::toString).toList());
    final List<String> stats = new ArrayList<>();
    final long t0 = System.nanoTime();
    SpProcessRunner.runRanks(
        P,
        "ipc",
        TimeUnit.SECONDS.toNanos(120),
        r ->
            List.of(
                "workload=synthetic",
                "mode=" + mode.id(),
                "tokens=" + T,
                "heads=" + H,
                "dk=" + D,
                "dv=" + D,
                "seed=11",
                "iters=1",
                "chunk=64",
                "strategy=allscan",
                "samples=" + sampleArg),
        line -> {
          final String[] f = line.text().split(" ");
          if (f[0].equals("SAMPLE")) {
            final float[] row = new float[D];
            for (int j = 0; j < D; j++) {
              row[j] = Float.parseFloat(f[3 + j]);
            }
            got.put(f[1] + "/" + f[2], row);
          } else if (f[0].equals("STATS")) {
            stats.add(line.text());
          }
        });
    final double wallS = (System.nanoTime() - t0) / 1e9;
    final Map<String, double[]> want = streamingReference(problem, samples);
    double maxAbs = 0;
    double maxRef = 0;
    for (final Map.Entry<String, double[]> e : want.entrySet()) {
      final float[] g = got.get(e.getKey());
      assertThat(g).as("sample %s reported", e.getKey()).isNotNull();
      for (int j = 0; j < D; j++) {
        maxAbs = Math.max(maxAbs, Math.abs(g[j] - e.getValue()[j]));
        maxRef = Math.max(maxRef, Math.abs(e.getValue()[j]));
      }
    }
    System.out.printf(
        "1M tokens %s: P=%d wall %.1f s (launch + fwd + bwd), %d sampled rows,"
            + " max |err| %.3e vs max |ref| %.3e%n",
        mode.id(), P, wallS, want.size(), maxAbs, maxRef);
    stats.forEach(s -> System.out.println("  " + s));
    // The oracle's tolerance rule: 1e-4 · max|ref| + 1e-5.
    assertThat(maxAbs).isLessThanOrEqualTo(1e-4 * maxRef + 1e-5);
  }

  private static long[] samples() {
    final TreeMap<Long, Boolean> s = new TreeMap<>();
    final int len = T / P;
    for (int r = 0; r < P; r++) {
      s.put((long) r * len, true);
      s.put((long) r * len + len - 1, true);
      s.put((long) r * len + 777, true);
    }
    return s.keySet().stream().mapToLong(Long::longValue).toArray();
  }

  /** o_t = q_t S_t with S_t = diag(a_t) S_{t-1} + k_tᵀ v_t in float64, at the sampled tokens. */
  private static Map<String, double[]> streamingReference(
      final SyntheticAttention p, final long[] samples) {
    final Map<String, double[]> out = new TreeMap<>();
    final double[] s = new double[D * D];
    final double[] k = new double[D];
    final double[] v = new double[D];
    final double[] a = new double[D];
    for (int h = 0; h < H; h++) {
      Arrays.fill(s, 0);
      int next = 0;
      for (long t = 0; t < T && next < samples.length; t++) {
        for (int i = 0; i < D; i++) {
          k[i] = p.value(SyntheticAttention.K, h, t, i);
          v[i] = p.value(SyntheticAttention.V, h, t, i);
          a[i] =
              p.mode() == DecayMode.GLA
                  ? Math.exp(p.value(SyntheticAttention.G, h, t, i))
                  : Math.exp(p.logLambda(h));
        }
        for (int i = 0; i < D; i++) {
          final double ai = a[i];
          final double ki = k[i];
          final int row = i * D;
          for (int j = 0; j < D; j++) {
            s[row + j] = ai * s[row + j] + ki * v[j];
          }
        }
        if (t == samples[next]) {
          final double[] o = new double[D];
          for (int i = 0; i < D; i++) {
            final double qi = p.value(SyntheticAttention.Q, h, t, i);
            for (int j = 0; j < D; j++) {
              o[j] += qi * s[i * D + j];
            }
          }
          out.put(t + "/" + h, o);
          next++;
        }
      }
    }
    return out;
  }
}
