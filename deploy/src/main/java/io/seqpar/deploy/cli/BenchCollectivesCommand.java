package io.seqpar.deploy.cli;

import io.seqpar.SeqparException;
import io.seqpar.collectives.CollectiveContext;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.bench.BenchOp;
import io.seqpar.collectives.bench.BenchReport;
import io.seqpar.collectives.bench.BenchSpec;
import io.seqpar.collectives.bench.BenchWorkload;
import io.seqpar.collectives.launch.RankProcessGroup;
import io.seqpar.collectives.transport.AeronTransport;
import io.seqpar.collectives.transport.CoreBinding;
import io.seqpar.collectives.transport.EmbeddedDriver;
import io.seqpar.collectives.transport.InMemoryTransport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code seqpar bench collectives}: sweeps a collective over per-rank sizes with N real rank
 * processes ({@code ipc}: one media driver in this process, ranks are its clients; {@code udp}:
 * each rank its own driver, endpoints on port 0 exchanged through this process) or N threads
 * ({@code inmem}). Every size is checked against a float64 expectation; any wrong element exits 1.
 *
 * <p>Idle strategy: ranks wait with {@link EmbeddedDriver#idleStrategyFor(int)} — never a
 * busy-spin: with ranks ≤ cores 10 spins, 1000 yields, then parks of 1–100 µs; with more ranks than
 * cores no spins, 10 yields, parks of 20 µs–1 ms. The IPC driver (threading mode SHARED) uses the
 * first. Term length: {@code --term-length auto} sizes each link's term so a whole message fits the
 * IPC window ({@link AeronTransport#termLengthFor(long)}). Before the sweep, {@code --jit-warmup}
 * untimed calls let the JIT compile the data path: enough that the per-call methods pass C2's
 * invocation threshold (5,000, two calls per iteration with the barrier) before any timed size, and
 * each rank waits for its compiler threads to go quiet before every size.
 */
@Command(
    name = "collectives",
    mixinStandardHelpOptions = true,
    description = {
      "Benchmark a collective over Aeron IPC/UDP (N processes) or in memory (N threads).",
      "Prints size, count, time_us (median and p99 of the per-iteration max over ranks),",
      "algbw, busbw (GB/s = 1e9 B/s) and #wrong, as nccl-tests does."
    })
public final class BenchCollectivesCommand implements Callable<Integer> {
  static final long MAX_BYTES = 1L << 30;

  @Spec CommandSpec spec;

  @Option(
      names = "--op",
      required = true,
      paramLabel = "OP",
      description = "allscan|allgather|chain|tree|ring|allreduce|allgather-raw")
  String op;

  @Option(
      names = "--ranks",
      defaultValue = "2",
      paramLabel = "N",
      description = "Ranks, 1..64 (default: ${DEFAULT-VALUE}).")
  int ranks;

  @Option(
      names = "--transport",
      defaultValue = "ipc",
      paramLabel = "T",
      description = "ipc|udp|inmem (default: ${DEFAULT-VALUE}).")
  String transport;

  @Option(
      names = "--min-bytes",
      defaultValue = "4K",
      paramLabel = "SIZE",
      description = "Smallest per-rank size; K/M/G suffixes (default: ${DEFAULT-VALUE}).")
  String minBytes;

  @Option(
      names = "--max-bytes",
      defaultValue = "64M",
      paramLabel = "SIZE",
      description = "Largest per-rank size (default: ${DEFAULT-VALUE}).")
  String maxBytes;

  @Option(
      names = "--factor",
      defaultValue = "2",
      paramLabel = "F",
      description = "Size multiplier, 2..16 (default: ${DEFAULT-VALUE}).")
  int factor;

  @Option(
      names = "--warmup",
      defaultValue = "5",
      paramLabel = "N",
      description = "Untimed iterations per size, 0..10000 (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--iters",
      defaultValue = "20",
      paramLabel = "N",
      description = "Timed iterations per size, 1..100000 (default: ${DEFAULT-VALUE}).")
  int iters;

  @Option(
      names = "--blocks",
      defaultValue = "0",
      paramLabel = "K",
      description = "All-Scan blocks K, 0 = chosen from the state size, else 1..1024.")
  int blocks;

  @Option(
      names = "--pattern",
      defaultValue = "auto",
      paramLabel = "P",
      description =
          "AllGather/AllReduce exchange pattern: ring, direct, halving (AllReduce, power-of-two"
              + " ranks; AllGather runs the ring), shared (AllReduce through a staging area the"
              + " ranks of one host share, ipc only; elsewhere, and for AllGather, the default"
              + " by messages), or auto = each collective's default (AllGather: direct when"
              + " ranks outnumber cores, else ring; AllReduce when ranks outnumber cores: shared"
              + " up to 4 MiB at >= 8 ranks and 256 KiB below, then halving up to 1 MiB for a"
              + " power of two >= 8, else ring) (default: ${DEFAULT-VALUE}).")
  String pattern;

  @Option(
      names = "--term-length",
      defaultValue = "auto",
      paramLabel = "SIZE",
      description =
          "Aeron term length per link (ipc/udp): a power of two in 1M..1G, or auto = four times"
              + " the largest message, 4M..16M (default: ${DEFAULT-VALUE}).")
  String termLength;

  @Option(
      names = "--jit-warmup",
      defaultValue = "4000",
      paramLabel = "N",
      description =
          "Untimed iterations at a small size before the sweep so the JIT has compiled the data"
              + " path, 0..1000000 (default: ${DEFAULT-VALUE}).")
  int jitWarmup;

  @Option(
      names = "--format",
      defaultValue = "table",
      paramLabel = "FMT",
      description = "table|jsonl|csv (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(names = "--out", paramLabel = "FILE", description = "Also write the output to FILE.")
  Path out;

  @Option(
      names = "--calibration-out",
      paramLabel = "FILE",
      description =
          "With --op chain (P >= 2, two or more sizes): fit the SP cost model's per-hop latency α"
              + " and per-byte time β and write them to FILE, for --strategy auto.")
  Path calibrationOut;

  @Option(
      names = "--timeout-ms",
      defaultValue = "60000",
      paramLabel = "MS",
      description = "Deadline of one collective call, 100..3600000 ms (default: ${DEFAULT-VALUE}).")
  long timeoutMs;

  private long resolvedTermLength = AeronTransport.DEFAULT_TERM_LENGTH;

  /** Parses 4, 4K, 64M, 1G (binary multiples). */
  static long parseSize(final String option, final String text) {
    final String t = text.trim().toUpperCase(Locale.ROOT);
    long mult = 1;
    String digits = t;
    if (t.endsWith("K") || t.endsWith("M") || t.endsWith("G")) {
      mult = t.endsWith("K") ? 1L << 10 : t.endsWith("M") ? 1L << 20 : 1L << 30;
      digits = t.substring(0, t.length() - 1);
    }
    try {
      return Math.multiplyExact(Long.parseLong(digits), mult);
    } catch (final NumberFormatException | ArithmeticException e) {
      return -1;
    }
  }

  private ParameterException bad(final String option, final Object value, final String allowed) {
    return new ParameterException(
        spec.commandLine(), option + ": " + value + " is out of range (allowed: " + allowed + ")");
  }

  BenchSpec validate() {
    final BenchOp benchOp = BenchOp.fromName(op);
    if (benchOp == null) {
      throw bad("--op", op, "allscan|allgather|chain|tree|ring|allreduce|allgather-raw");
    }
    if (ranks < 1 || ranks > 64) {
      throw bad("--ranks", ranks, "1..64");
    }
    if (calibrationOut != null && (!op.equals("chain") || ranks < 2)) {
      throw new ParameterException(
          spec.commandLine(),
          "--calibration-out: needs --op chain and"
              + " --ranks >= 2 (got --op "
              + op
              + " --ranks "
              + ranks
              + ")");
    }
    if (!List.of("ipc", "udp", "inmem").contains(transport)) {
      throw bad("--transport", transport, "ipc|udp|inmem");
    }
    final long min = parseSize("--min-bytes", minBytes);
    final long max = parseSize("--max-bytes", maxBytes);
    if (min < 4 || min > MAX_BYTES || min % 4 != 0) {
      throw bad("--min-bytes", minBytes, "4..1G, a multiple of 4");
    }
    if (max < min || max > MAX_BYTES || max % 4 != 0) {
      throw bad("--max-bytes", maxBytes, minBytes + "..1G, a multiple of 4");
    }
    if (factor < 2 || factor > 16) {
      throw bad("--factor", factor, "2..16");
    }
    if (warmup < 0 || warmup > 10_000) {
      throw bad("--warmup", warmup, "0..10000");
    }
    if (iters < 1 || iters > 100_000) {
      throw bad("--iters", iters, "1..100000");
    }
    if (blocks < 0 || blocks > 1024) {
      throw bad("--blocks", blocks, "0..1024");
    }
    if (jitWarmup < 0 || jitWarmup > 1_000_000) {
      throw bad("--jit-warmup", jitWarmup, "0..1000000");
    }
    if (!List.of("ring", "direct", "halving", "shared", "auto").contains(pattern)) {
      throw bad("--pattern", pattern, "ring|direct|halving|shared|auto");
    }
    resolvedTermLength =
        termLength.equalsIgnoreCase("auto")
            ? AeronTransport.termLengthFor(max)
            : parseSize("--term-length", termLength);
    if (resolvedTermLength < (1 << 20)
        || resolvedTermLength > (1 << 30)
        || Long.bitCount(resolvedTermLength) != 1) {
      throw bad("--term-length", termLength, "auto or a power of two in 1M..1G");
    }
    if (!List.of("table", "jsonl", "csv").contains(format)) {
      throw bad("--format", format, "table|jsonl|csv");
    }
    if (timeoutMs < 100 || timeoutMs > 3_600_000) {
      throw bad("--timeout-ms", timeoutMs, "100..3600000");
    }
    return new BenchSpec(
        benchOp,
        min,
        max,
        factor,
        warmup,
        iters,
        blocks,
        jitWarmup,
        BenchSpec.parsePattern(pattern));
  }

  @Override
  public Integer call() throws Exception {
    final BenchSpec benchSpec = validate();
    CoreBinding.enabled(EnvSupport.variable(CoreBinding.ENV)); // a bad value is a usage error
    final int localRanks = transport.equals("ipc") ? ranks : 1; // as the ranks count themselves
    final BenchReport report =
        new BenchReport(
            benchSpec,
            transport,
            ranks,
            EmbeddedDriver.idleDescription(localRanks)
                + (transport.equals("ipc")
                    ? " driver=" + EmbeddedDriver.driverIdleDescription(localRanks)
                    : ""),
            EmbeddedDriver.oversubscribed(localRanks),
            transport.equals("inmem") ? 0 : resolvedTermLength);
    if (transport.equals("inmem")) {
      runInMemory(benchSpec, report);
    } else {
      runProcesses(benchSpec, report);
    }
    final StringWriter sw = new StringWriter();
    report.print(new PrintWriter(sw), format);
    final PrintWriter o = spec.commandLine().getOut();
    o.print(sw);
    o.flush();
    if (out != null) {
      if (out.getParent() != null) {
        Files.createDirectories(out.getParent());
      }
      Files.writeString(out, sw.toString(), StandardCharsets.UTF_8);
    }
    if (calibrationOut != null && report.totalWrong() == 0) {
      final java.util.List<BenchReport.Row> rows = report.rows();
      final long[] bytes = rows.stream().mapToLong(BenchReport.Row::bytes).toArray();
      final double[] us = rows.stream().mapToDouble(BenchReport.Row::medianUs).toArray();
      final io.seqpar.worker.sp.SpCostModel model =
          io.seqpar.worker.sp.SpCostModel.fitChain(ranks, bytes, us);
      model.save(calibrationOut);
      o.printf(
          "# calibration: alpha=%.1f us per hop, beta=%.3f ns/byte (%.2f GB/s) -> %s%n",
          model.alphaNs() / 1e3,
          model.betaNsPerByte(),
          1 / Math.max(1e-9, model.betaNsPerByte()),
          calibrationOut);
      o.flush();
    }
    if (report.totalWrong() > 0) {
      spec.commandLine()
          .getErr()
          .println("seqpar bench collectives: " + report.totalWrong() + " wrong elements");
      spec.commandLine().getErr().flush();
      return ExitCodes.FAILURE;
    }
    return ExitCodes.OK;
  }

  private void runInMemory(final BenchSpec benchSpec, final BenchReport report) throws Exception {
    final InMemoryTransport[] ts = InMemoryTransport.group(ranks);
    final List<Thread> threads = new ArrayList<>();
    final Throwable[] failure = new Throwable[1];
    for (int r = 0; r < ranks; r++) {
      final int rank = r;
      final Thread t =
          new Thread(
              () -> {
                try {
                  final Communicator comm =
                      new Communicator(
                          ts[rank],
                          new CollectiveContext()
                              .jobId(1)
                              .epoch(1)
                              .timeoutNs(TimeUnit.MILLISECONDS.toNanos(timeoutMs)));
                  new BenchWorkload(comm, benchSpec).run(line -> report.accept(rank, line));
                } catch (final Throwable e) {
                  synchronized (failure) {
                    failure[0] = failure[0] == null ? e : failure[0];
                  }
                  ts[rank].close(); // peers fail fast instead of waiting for the deadline
                }
              },
              "bench-rank-" + r);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    for (final Thread t : threads) {
      t.join();
    }
    if (failure[0] != null) {
      throw new SeqparException("bench failed: " + failure[0].getMessage(), failure[0]);
    }
  }

  private void runProcesses(final BenchSpec benchSpec, final BenchReport report) {
    final EmbeddedDriver driver =
        transport.equals("ipc") ? EmbeddedDriver.launchUnique("seqpar-bench", ranks) : null;
    try (RankProcessGroup g =
        RankProcessGroup.start(
            ranks,
            r -> {
              final List<String> a = new ArrayList<>(benchSpec.toArgs());
              a.add("transport=" + transport);
              a.add("rank=" + r);
              a.add("ranks=" + ranks);
              a.add("timeoutMs=" + timeoutMs);
              a.add("workload=bench");
              a.add("termLength=" + resolvedTermLength);
              if (driver != null) {
                a.add("aeronDir=" + driver.aeronDirectoryName());
              }
              return a;
            },
            TimeUnit.SECONDS.toNanos(120))) {
      int finished = 0;
      final boolean[] over = new boolean[ranks];
      final List<String> failures = new ArrayList<>();
      while (finished < ranks) {
        // Bounded by the collective deadline: a stuck rank reports FAILED before this expires.
        final RankProcessGroup.Line l =
            g.next(
                System.nanoTime()
                    + TimeUnit.MILLISECONDS.toNanos(timeoutMs) * 3
                    + TimeUnit.SECONDS.toNanos(60));
        if (l == null) {
          throw new SeqparException(
              "bench: no output from any rank for " + (timeoutMs * 3 / 1000 + 60) + " s");
        }
        if (report.accept(l.rank(), l.text())) {
          continue;
        }
        if (l.text().startsWith("DONE")) {
          over[l.rank()] = true;
          finished++;
        } else if (l.text().startsWith("FAILED")) {
          failures.add("rank " + l.rank() + ": " + l.text());
        } else if (l.text().equals("EXIT") && !over[l.rank()]) {
          failures.add("rank " + l.rank() + " exited before finishing");
        }
        if (!failures.isEmpty()) {
          throw new SeqparException("bench failed: " + String.join("; ", failures));
        }
      }
      g.awaitExit(TimeUnit.SECONDS.toNanos(30));
    } finally {
      if (driver != null) {
        driver.close();
      }
    }
  }
}
