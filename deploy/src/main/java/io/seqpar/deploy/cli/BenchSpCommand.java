package io.seqpar.deploy.cli;

import io.seqpar.worker.kernel.DecayMode;
import io.seqpar.worker.sp.SoftmaxStrategy;
import io.seqpar.worker.sp.SpProcessRunner;
import io.seqpar.worker.sp.SpStrategy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code seqpar bench sp}: the sequence-parallel operator (forward + backward) with P rank
 * processes over Aeron IPC on one host. Weak scaling keeps L tokens per rank ({@code
 * --tokens-per-rank}); strong scaling keeps T ({@code --tokens}). Per configuration it reports the
 * step time (median over iterations of the slowest rank), the exposed communication (the wait after
 * local work, slowest rank) and its share, CPU-seconds per token summed over ranks (flat when
 * scaling is perfect even if P ranks share fewer cores), and the ratio to P = 1 on L tokens.
 *
 * <p>Softmax strategies ({@code ring}, {@code ring-zigzag}, {@code allgather-kv}) run causal
 * softmax attention on the same synthetic q, k, v, dO ({@code --mode} is ignored for them). For
 * every strategy the table also gives the bytes each rank receives per step (forward + backward,
 * mean over ranks) and the compute balance: mean over ranks of (step − exposed wait) divided by the
 * slowest rank's, median over passes (1.0 = every rank computes equally long).
 */
@Command(
    name = "sp",
    mixinStandardHelpOptions = true,
    description = "Benchmark the sequence-parallel operator over rank processes (Aeron IPC).")
public final class BenchSpCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--ranks",
      paramLabel = "P,...",
      defaultValue = "1,2,4,8",
      description = "Rank counts (default: ${DEFAULT-VALUE}).")
  String ranks;

  @Option(
      names = "--strategies",
      paramLabel = "S,...",
      defaultValue = "allscan,allgather,chain",
      description =
          "Strategies: allscan|allgather|chain|tree (linear), ring|ring-zigzag|allgather-kv"
              + " (softmax) (default: ${DEFAULT-VALUE}).")
  String strategies;

  @Option(
      names = "--tokens-per-rank",
      paramLabel = "L",
      defaultValue = "16384",
      description = "Weak scaling: tokens per rank (default: ${DEFAULT-VALUE}).")
  int tokensPerRank;

  @Option(
      names = "--tokens",
      paramLabel = "T",
      defaultValue = "0",
      description = "Strong scaling: total tokens, split over the ranks (0 = weak scaling).")
  int tokens;

  @Option(names = "--heads", defaultValue = "4", description = "Heads (default: ${DEFAULT-VALUE}).")
  int heads;

  @Option(names = "--dk", defaultValue = "64", description = "Key dim (default: ${DEFAULT-VALUE}).")
  int dk;

  @Option(
      names = "--dv",
      defaultValue = "64",
      description = "Value dim (default: ${DEFAULT-VALUE}).")
  int dv;

  @Option(
      names = "--mode",
      defaultValue = "const_decay",
      description = "plain|const_decay|gla (default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(
      names = "--chunk",
      defaultValue = "64",
      description = "Chunk size (default: ${DEFAULT-VALUE}).")
  int chunk;

  @Option(
      names = "--warmup",
      defaultValue = "2",
      description = "Untimed passes (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--iters",
      defaultValue = "5",
      description = "Timed passes (default: ${DEFAULT-VALUE}).")
  int iters;

  @Option(
      names = "--transport",
      defaultValue = "ipc",
      description = "ipc|udp (default: ${DEFAULT-VALUE}).")
  String transport;

  @Option(names = "--out", paramLabel = "FILE", description = "Also append JSONL rows to FILE.")
  Path out;

  /** One rank's timings of one pass. */
  private record Pass(
      int rank,
      long fwdNs,
      long fwdExposedNs,
      long bwdNs,
      long bwdExposedNs,
      long bytesReceived,
      long cpuNs,
      long computeCpuNs) {
    /** CPU time of the compute sections where the operator measures it, else wall minus waits. */
    long computeNs() {
      return computeCpuNs > 0 ? computeCpuNs : fwdNs + bwdNs - fwdExposedNs - bwdExposedNs;
    }
  }

  @Override
  public Integer call() {
    final int[] ps = parseInts("--ranks", ranks);
    final List<String> ss = new ArrayList<>();
    for (final String raw : strategies.split(",")) {
      final String s = raw.strip();
      if (!isSoftmax(s)) {
        try {
          SpStrategy.fromId(s);
        } catch (final IllegalArgumentException e) {
          throw new ParameterException(
              spec.commandLine(),
              "--strategies: " + e.getMessage() + "; softmax: ring, ring-zigzag, allgather-kv");
        }
      }
      ss.add(s);
    }
    try {
      DecayMode.fromId(mode);
    } catch (final IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--mode: " + e.getMessage());
    }
    if (tokensPerRank < 1
        || heads < 1
        || dk < 1
        || dv < 1
        || chunk < 1
        || iters < 1
        || warmup < 0) {
      throw new ParameterException(
          spec.commandLine(),
          "--tokens-per-rank, --heads, --dk, --dv, --chunk, --iters must be >= 1 and --warmup >= 0");
    }
    final PrintWriter o = spec.commandLine().getOut();
    o.printf(
        "# seqpar bench sp: %s scaling, mode=%s H=%d dk=%d dv=%d C=%d, transport=%s,"
            + " %d warm-up + %d timed passes, %d cores%n",
        tokens > 0 ? "strong" : "weak",
        mode,
        heads,
        dk,
        dv,
        chunk,
        transport,
        warmup,
        iters,
        Runtime.getRuntime().availableProcessors());
    o.printf(
        "# %-12s %3s %9s %10s %10s %8s %12s %8s %13s %8s%n",
        "strategy",
        "P",
        "tokens",
        "step_ms",
        "exposed_ms",
        "exposed%",
        "cpu_us/token",
        "vs_P1",
        "recv_MB/rank",
        "balance");
    double baseMs = Double.NaN;
    for (final String s : ss) {
      for (final int p : ps) {
        final long total = tokens > 0 ? tokens : (long) tokensPerRank * p;
        final List<Pass> passes = run(s, p, total);
        final double[] step = new double[iters];
        final double[] exposed = new double[iters];
        final double[] balance = new double[iters];
        double cpuNs = 0;
        double recvBytes = 0;
        for (int it = 0; it < iters; it++) {
          double computeSum = 0;
          double computeMax = 0;
          for (final Pass x : passes.subList((warmup + it) * p, (warmup + it + 1) * p)) {
            step[it] = Math.max(step[it], (x.fwdNs + x.bwdNs) / 1e6);
            exposed[it] = Math.max(exposed[it], (x.fwdExposedNs + x.bwdExposedNs) / 1e6);
            cpuNs += x.cpuNs;
            recvBytes += x.bytesReceived;
            computeSum += x.computeNs();
            computeMax = Math.max(computeMax, x.computeNs());
          }
          balance[it] = computeMax > 0 ? computeSum / p / computeMax : 1.0;
        }
        final double recvMbPerRank = recvBytes / iters / p / (1 << 20);
        final double balanceMedian = median(balance);
        final double stepMs = median(step);
        final double exposedMs = median(exposed);
        final double cpuUsPerToken = cpuNs / iters / total / 1e3;
        if (p == 1) {
          baseMs = stepMs;
        }
        final double vsP1 = tokens > 0 ? baseMs / stepMs : stepMs / baseMs;
        o.printf(
            "  %-12s %3d %9d %10.1f %10.2f %7.1f%% %12.3f %8.2f %13.3f %8.2f%n",
            s,
            p,
            total,
            stepMs,
            exposedMs,
            100 * exposedMs / stepMs,
            cpuUsPerToken,
            vsP1,
            recvMbPerRank,
            balanceMedian);
        o.flush();
        if (out != null) {
          appendJson(
              String.format(
                  java.util.Locale.ROOT,
                  "{\"bench\":\"sp\",\"scaling\":\"%s\",\"strategy\":\"%s\",\"ranks\":%d,\"tokens\":%d,"
                      + "\"mode\":\"%s\",\"heads\":%d,\"dk\":%d,\"dv\":%d,\"chunk\":%d,\"transport\":\"%s\","
                      + "\"step_ms_median\":%.3f,\"exposed_ms_median\":%.3f,\"exposed_share\":%.4f,"
                      + "\"cpu_us_per_token\":%.4f,\"vs_p1\":%s,"
                      + "\"recv_bytes_per_rank\":%.0f,\"compute_balance\":%.4f}",
                  tokens > 0 ? "strong" : "weak",
                  s,
                  p,
                  total,
                  isSoftmax(s) ? "softmax" : mode,
                  heads,
                  dk,
                  dv,
                  chunk,
                  transport,
                  stepMs,
                  exposedMs,
                  exposedMs / stepMs,
                  cpuUsPerToken,
                  Double.isNaN(vsP1) ? "null" : String.format(java.util.Locale.ROOT, "%.3f", vsP1),
                  recvBytes / iters / p,
                  balanceMedian));
        }
      }
    }
    o.println(
        "# step_ms: median over passes of the slowest rank's forward+backward;"
            + " vs_P1: weak = step/step(P=1), strong = speed-up over P=1");
    o.flush();
    return ExitCodes.OK;
  }

  private static boolean isSoftmax(final String s) {
    try {
      SoftmaxStrategy.fromId(s);
      return true;
    } catch (final IllegalArgumentException e) {
      return false;
    }
  }

  private List<Pass> run(final String s, final int p, final long total) {
    final List<Pass> passes = new ArrayList<>();
    SpProcessRunner.runRanks(
        p,
        transport,
        TimeUnit.SECONDS.toNanos(120),
        r ->
            List.of(
                isSoftmax(s) ? "workload=softmax" : "workload=synthetic",
                "mode=" + mode,
                "tokens=" + total,
                "heads=" + heads,
                "dk=" + dk,
                "dv=" + dv,
                "chunk=" + chunk,
                "strategy=" + s,
                "iters=" + (warmup + iters)),
        line -> {
          if (line.text().startsWith("STATS ")) {
            final long[] f =
                Arrays.stream(line.text().substring(6).split(" "))
                    .mapToLong(Long::parseLong)
                    .toArray();
            synchronized (passes) {
              passes.add(
                  new Pass(
                      (int) f[0], f[1], f[2], f[3], f[4], f[5], f[8], f.length > 9 ? f[9] : 0));
            }
          }
        });
    // Lines arrive per rank in pass order; regroup by pass index.
    final List<Pass> byPass = new ArrayList<>();
    for (int it = 0; it < warmup + iters; it++) {
      for (int r = 0; r < p; r++) {
        byPass.add(nth(passes, r, it));
      }
    }
    return byPass;
  }

  private static Pass nth(final List<Pass> passes, final int rank, final int n) {
    int seen = 0;
    for (final Pass x : passes) {
      if (x.rank == rank && seen++ == n) {
        return x;
      }
    }
    throw new IllegalStateException("rank " + rank + " reported fewer than " + (n + 1) + " passes");
  }

  private int[] parseInts(final String option, final String csv) {
    try {
      final int[] v =
          Arrays.stream(csv.split(",")).mapToInt(x -> Integer.parseInt(x.strip())).toArray();
      for (final int x : v) {
        if (x < 1 || x > 64) {
          throw new NumberFormatException();
        }
      }
      return v;
    } catch (final NumberFormatException e) {
      throw new ParameterException(
          spec.commandLine(), option + ": '" + csv + "' (allowed: comma-separated integers 1..64)");
    }
  }

  private static double median(final double[] x) {
    final double[] s = x.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private void appendJson(final String line) {
    try {
      Files.writeString(out, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
