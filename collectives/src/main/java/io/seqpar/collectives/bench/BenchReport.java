package io.seqpar.collectives.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Aggregates the ranks' {@code RESULT} lines into nccl-tests-style rows: per timed iteration the
 * max over ranks, then the median and p99 (nearest rank) over iterations; algbw and busbw in GB/s
 * (1e9); #wrong summed over ranks. Prints a table, JSONL or CSV.
 *
 * <p>A {@code RESULT} line may carry a sixth field, the messages that rank received by single copy
 * at that size (warm-up included); summed over ranks it is {@code single_copy_messages}. A seventh,
 * the messages it combined straight out of the sender's shared windows, is {@code
 * combined_messages}.
 */
public final class BenchReport {
  /** One size. */
  public record Row(
      long bytes,
      long count,
      double medianUs,
      double p99Us,
      double algbw,
      double busbw,
      long wrong,
      long singleCopyMessages,
      long combinedMessages) {}

  private final BenchSpec spec;
  private final String transport;
  private final int ranks;
  private final String idleStrategy;
  private final String algorithm;
  private final long termLength;
  private final List<Row> rows = new ArrayList<>();
  private final java.util.Map<Long, long[][]> pending = new java.util.TreeMap<>();
  private final java.util.Map<Long, Long> wrong = new java.util.HashMap<>();
  private final java.util.Map<Long, Long> singleCopy = new java.util.HashMap<>();
  private final java.util.Map<Long, Long> combined = new java.util.HashMap<>();
  private final java.util.Map<Long, Integer> seen = new java.util.HashMap<>();

  /**
   * @param idleStrategy how ranks wait, as printed in the header
   * @param oversubscribed whether the ranks outnumber the cores of their host (picks the default
   *     exchange pattern, {@link BenchSpec#patternFor})
   * @param termLength the Aeron term length per link (0 for in-memory)
   */
  public BenchReport(
      final BenchSpec spec,
      final String transport,
      final int ranks,
      final String idleStrategy,
      final boolean oversubscribed,
      final long termLength) {
    this.spec = spec;
    this.algorithm = spec.algorithmFor(oversubscribed, ranks);
    this.transport = transport;
    this.ranks = ranks;
    this.idleStrategy = idleStrategy;
    this.termLength = termLength;
  }

  /** Accepts one rank's line; returns true when it was a RESULT line. */
  public synchronized boolean accept(final int rank, final String line) {
    if (!line.startsWith("RESULT ")) {
      return false;
    }
    final String[] f = line.split(" ");
    final long bytes = Long.parseLong(f[1]);
    final long[] t = Arrays.stream(f[4].split(",")).mapToLong(Long::parseLong).toArray();
    pending.computeIfAbsent(bytes, b -> new long[ranks][])[rank] = t;
    wrong.merge(bytes, Long.parseLong(f[3]), Long::sum);
    singleCopy.merge(bytes, f.length > 5 ? Long.parseLong(f[5]) : 0L, Long::sum);
    combined.merge(bytes, f.length > 6 ? Long.parseLong(f[6]) : 0L, Long::sum);
    if (seen.merge(bytes, 1, Integer::sum) == ranks) {
      finishRow(bytes, Long.parseLong(f[2]));
    }
    return true;
  }

  private void finishRow(final long bytes, final long count) {
    final long[][] t = pending.remove(bytes);
    final int iters = t[0].length;
    final long[] max = new long[iters];
    for (int i = 0; i < iters; i++) {
      for (final long[] r : t) {
        max[i] = Math.max(max[i], r[i]);
      }
    }
    Arrays.sort(max);
    final double median =
        iters % 2 == 1 ? max[iters / 2] : (max[iters / 2 - 1] + max[iters / 2]) / 2.0;
    final double p99 = max[Math.min(iters - 1, (int) Math.ceil(0.99 * iters) - 1)];
    final double algbw = spec.op().algBytes(bytes, ranks) / (median * 1e-9) / 1e9;
    rows.add(
        new Row(
            bytes,
            count,
            median / 1e3,
            p99 / 1e3,
            algbw,
            algbw * spec.op().busbwFactor(ranks),
            wrong.get(bytes),
            singleCopy.get(bytes),
            combined.get(bytes)));
  }

  public List<Row> rows() {
    return rows;
  }

  public long totalWrong() {
    return rows.stream().mapToLong(Row::wrong).sum();
  }

  public void print(final PrintWriter out, final String format) {
    switch (format) {
      case "jsonl" -> rows.forEach(r -> out.println(json(r)));
      case "csv" -> {
        out.println(
            "op,algorithm,transport,ranks,bytes,count,time_us_median,time_us_p99,algbw_GBps,busbw_GBps,busbw_factor,wrong");
        for (final Row r : rows) {
          out.println(
              String.format(
                  Locale.ROOT,
                  "%s,%s,%s,%d,%d,%d,%.2f,%.2f,%.4f,%.4f,%.4f,%d",
                  spec.op().cliName(),
                  algorithm,
                  transport,
                  ranks,
                  r.bytes(),
                  r.count(),
                  r.medianUs(),
                  r.p99Us(),
                  r.algbw(),
                  r.busbw(),
                  spec.op().busbwFactor(ranks),
                  r.wrong()));
        }
      }
      default -> table(out);
    }
    out.flush();
  }

  private String json(final Row r) {
    return String.format(
        Locale.ROOT,
        "{\"schema\":1,\"op\":\"%s\",\"algorithm\":\"%s\",\"transport\":\"%s\",\"ranks\":%d,\"bytes\":%d,"
            + "\"count\":%d,\"type\":\"float\",\"time_us_median\":%.2f,\"time_us_p99\":%.2f,\"algbw_GBps\":%.4f,"
            + "\"busbw_GBps\":%.4f,\"busbw_factor\":%.4f,\"wrong\":%d,\"iters\":%d,\"warmup\":%d,\"blocks\":%d,"
            + "\"idle_strategy\":\"%s\",\"term_length\":%d,\"single_copy_messages\":%d,"
            + "\"combined_messages\":%d,\"unit\":\"GB/s (1e9)\"}",
        spec.op().cliName(),
        algorithm,
        transport,
        ranks,
        r.bytes(),
        r.count(),
        r.medianUs(),
        r.p99Us(),
        r.algbw(),
        r.busbw(),
        spec.op().busbwFactor(ranks),
        r.wrong(),
        spec.iters(),
        spec.warmup(),
        spec.blocks(),
        idleStrategy,
        termLength,
        r.singleCopyMessages(),
        r.combinedMessages());
  }

  private void table(final PrintWriter out) {
    out.println(
        "# seqpar bench collectives: op="
            + spec.op().cliName()
            + " algorithm="
            + algorithm
            + " transport="
            + transport
            + " ranks="
            + ranks);
    out.println(
        "# warmup="
            + spec.warmup()
            + " iters="
            + spec.iters()
            + " blocks="
            + (spec.blocks() <= 0 ? "default" : spec.blocks())
            + " idle="
            + idleStrategy
            + (termLength > 0 ? " term=" + termLength : "")
            + " java="
            + Runtime.version());
    out.println(
        "# time = per-iteration max over ranks (median and p99 over iterations); GB/s = 1e9 B/s; bytes per rank");
    out.println(
        String.format(
            Locale.ROOT,
            "#%12s %12s %6s %12s %12s %10s %10s %8s",
            "size(B)",
            "count(elem)",
            "type",
            "time_us",
            "p99_us",
            "algbw",
            "busbw",
            "#wrong"));
    for (final Row r : rows) {
      out.println(
          String.format(
              Locale.ROOT,
              " %12d %12d %6s %12.2f %12.2f %10.3f %10.3f %8d",
              r.bytes(),
              r.count(),
              "float",
              r.medianUs(),
              r.p99Us(),
              r.algbw(),
              r.busbw(),
              r.wrong()));
    }
    out.println("# wrong elements: " + totalWrong() + (totalWrong() == 0 ? " OK" : " FAILED"));
    final long copied = rows.stream().mapToLong(Row::singleCopyMessages).sum();
    if (copied > 0) {
      out.println(
          "# single-copy messages: "
              + copied
              + " (copied straight from the sender's memory; no frames)");
    }
    final long combinedTotal = rows.stream().mapToLong(Row::combinedMessages).sum();
    if (combinedTotal > 0) {
      out.println(
          "# combined messages: "
              + combinedTotal
              + " (computed by the receiver straight out of the sender's shared windows)");
    }
    out.println(
        String.format(
            Locale.ROOT,
            "# avg busbw: %.3f GB/s",
            rows.stream().mapToDouble(Row::busbw).average().orElse(0)));
  }
}
