package io.seqpar.worker.bench;

import io.seqpar.worker.sp.SpProcessRunner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * SP training steps with P rank processes over Aeron IPC ({@code workload=train}); prints the
 * per-step all-reduce figures and the per-rank memory. Not a test. Run (after {@code test-compile})
 * with the worker test class path:
 *
 * <pre>
 *   java ... io.seqpar.worker.bench.TrainStepBench ranks=4 tokens=8192 batch=2 steps=6 warmup=2 \
 *       overlap=true,false layers=4 dModel=64 heads=2 dk=32 dv=32 mlpRatio=4 [xmx=4g]
 * </pre>
 *
 * Every other {@code key=value} is passed to the ranks. Summary per setting, over the timed steps
 * (after {@code warmup}) and all ranks: mean step time of the slowest rank, mean all-reduce time
 * (start to completion, per rank), mean exposed all-reduce time, bytes sent per rank and step, and
 * per rank the arenas, direct memory, heap peak and peak RSS.
 */
public final class TrainStepBench {
  private TrainStepBench() {}

  public static void main(final String[] argv) {
    final List<String> pass = new ArrayList<>();
    int ranks = 4;
    int warmup = 1;
    String overlaps = "true,false";
    String xmx = null;
    for (final String kv : argv) {
      final String[] p = kv.split("=", 2);
      switch (p[0]) {
        case "ranks" -> ranks = Integer.parseInt(p[1]);
        case "warmup" -> warmup = Integer.parseInt(p[1]);
        case "overlap" -> overlaps = p[1];
        case "xmx" -> xmx = p[1];
        default -> pass.add(kv);
      }
    }
    final List<String> jvm =
        xmx == null ? List.of() : List.of("-Xmx" + xmx, "-XX:MaxDirectMemorySize=" + xmx);
    for (final String overlap : overlaps.split(",")) {
      final int p = ranks;
      final List<long[]> train = new ArrayList<>();
      final List<long[]> mem = new ArrayList<>();
      final List<String> args = new ArrayList<>(pass);
      args.add("workload=train");
      args.add("overlap=" + overlap);
      final long t0 = System.nanoTime();
      SpProcessRunner.runRanks(
          p,
          "ipc",
          TimeUnit.SECONDS.toNanos(600),
          jvm,
          r -> args,
          line -> {
            final String[] f = line.text().split(" ");
            if (f[0].equals("TRAIN")) {
              final long[] v = new long[f.length - 2];
              for (int i = 1; i < f.length - 1; i++) {
                v[i - 1] = Long.parseLong(f[i]);
              }
              synchronized (train) {
                train.add(v);
              }
              System.out.println(line.text());
            } else if (f[0].equals("MEM")) {
              synchronized (mem) {
                mem.add(Arrays.stream(f, 1, f.length).mapToLong(Long::parseLong).toArray());
              }
              System.out.println(line.text());
            } else if (f[0].equals("FAILED")) {
              System.out.println(line.rank() + ": " + line.text());
            }
          });
      summarize(p, overlap, warmup, train, mem, (System.nanoTime() - t0) / 1e9);
    }
  }

  private static void summarize(
      final int p,
      final String overlap,
      final int warmup,
      final List<long[]> train,
      final List<long[]> mem,
      final double wallS) {
    // TRAIN fields: rank step stepNs allReduceNs exposedNs bytesSent buckets attnNs attnExpNs cpuNs
    final int steps = (int) train.stream().mapToLong(v -> v[1]).max().orElse(-1) + 1;
    double slowest = 0;
    double reduce = 0;
    double exposed = 0;
    double attn = 0;
    double attnExposed = 0;
    double bytes = 0;
    int n = 0;
    int timed = 0;
    for (int s = warmup; s < steps; s++) {
      double worst = 0;
      for (final long[] v : train) {
        if (v[1] == s) {
          worst = Math.max(worst, v[2]);
          reduce += v[3];
          exposed += v[4];
          bytes += v[5];
          attn += v[7];
          attnExposed += v[8];
          n++;
        }
      }
      slowest += worst;
      timed++;
    }
    final long buckets = train.isEmpty() ? 0 : train.get(0)[6];
    System.out.printf(
        Locale.ROOT,
        "SUMMARY P=%d overlap=%s timed_steps=%d buckets=%d step_ms=%.1f allreduce_ms=%.2f"
            + " exposed_ms=%.2f exposed_share=%.0f%% attention_ms=%.1f attention_exposed_ms=%.1f"
            + " bytes_sent=%.0f wall_s=%.1f%n",
        p,
        overlap,
        timed,
        buckets,
        slowest / timed / 1e6,
        reduce / n / 1e6,
        exposed / n / 1e6,
        reduce == 0 ? 0.0 : 100 * exposed / reduce,
        attn / n / 1e6,
        attnExposed / n / 1e6,
        bytes / n,
        wallS);
    for (final long[] m : mem) {
      System.out.printf(
          Locale.ROOT,
          "MEMORY P=%d rank=%d params=%.1fMB grads=%.1fMB moments=%.1fMB activations=%.1fMB"
              + " reduce_scratch=%.1fMB arenas=%.1fMB heap_peak=%.1fMB rss_peak=%.1fMB%n",
          p,
          m[0],
          m[1] / 1e6,
          m[2] / 1e6,
          m[3] / 1e6,
          m[4] / 1e6,
          m[5] / 1e6,
          (m[1] + m[2] + m[3] + m[4] + m[5]) / 1e6,
          m[6] / 1e6,
          m[7] / 1e3);
    }
  }
}
