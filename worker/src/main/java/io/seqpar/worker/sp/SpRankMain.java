package io.seqpar.worker.sp;

import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.ScanShape;
import io.seqpar.collectives.launch.RankBootstrap;
import io.seqpar.collectives.launch.RankProcessGroup;
import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.Npy;
import io.seqpar.worker.attention.AttentionInputs;
import io.seqpar.worker.kernel.DecayMode;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One rank of the sequence-parallel operator as a real process, launched by {@link
 * RankProcessGroup} with the same stdin/stdout protocol as the collectives' rank processes: print
 * {@code ENDPOINT rank addr}, read {@code PEERS a0,a1,…}, run, print result lines.
 *
 * <p>Arguments {@code key=value}: {@code transport=ipc|udp rank ranks aeronDir job epoch timeoutMs
 * chunk strategy blocks}, and a workload:
 *
 * <ul>
 *   <li>{@code workload=attention inputs=DIR out=DIR}: this rank's shard of a file problem; writes
 *       its slice outputs ({@code [B·H, L, d]}) and, on the last rank, {@code S_out.npy};
 *   <li>{@code workload=synthetic mode tokens heads dk dv seed iters [samples=t1,t2,…]}: a {@link
 *       SyntheticAttention} sequence, forward+backward {@code iters} times; prints {@code READY}
 *       after the first pass and {@code SAMPLE token head v0 v1 …} output rows;
 *   <li>{@code workload=train …}: SP training steps of a small model ({@link
 *       io.seqpar.worker.train.TrainWorkload}), printing {@code TRAIN} and {@code MEM} lines.
 *   <li>{@code workload=softmax tokens heads dk dv seed iters
 *       strategy=ring|ring-zigzag|allgather-kv}: the same synthetic q, k, v, dO through causal
 *       softmax attention (scale dk^-1/2) on the strategy's layout; prints {@code READY} after the
 *       first pass.
 * </ul>
 *
 * Every pass prints {@code STATS rank fwdNs fwdExposedNs bwdNs bwdExposedNs bytesReceived fwdStates
 * bwdStates cpuNs computeCpuNs}. A failure prints {@code FAILED elapsedMs class: message} and exits
 * 3.
 */
public final class SpRankMain {
  /** Exit code when the operator or a collective failed. */
  public static final int EXIT_FAILED = 3;

  private SpRankMain() {}

  public static void main(final String[] argv) {
    final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    final RankBootstrap boot = RankBootstrap.parse(argv);
    final Map<String, String> a = boot.args();
    final int rank = boot.rank();
    final int ranks = boot.ranks();
    final long t0 = System.nanoTime();
    int code = 0;
    try {
      final Communicator comm = boot.connect(out, 2001);
      if ("attention".equals(a.get("workload"))) {
        runAttention(a, comm, rank, ranks, out);
      } else if ("train".equals(a.get("workload"))) {
        io.seqpar.worker.train.TrainWorkload.run(a, comm, rank, ranks, out);
      } else if ("softmax".equals(a.get("workload"))) {
        runSoftmax(a, comm, rank, ranks, out);
      } else {
        runSynthetic(a, comm, rank, ranks, out);
      }
      out.println("DONE " + rank);
    } catch (final Throwable t) {
      out.println(
          "FAILED "
              + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)
              + " "
              + t.getClass().getName()
              + ": "
              + t.getMessage());
      code = EXIT_FAILED;
    } finally {
      boot.close();
    }
    out.flush();
    System.exit(code);
  }

  private static SequenceParallelAttention operator(
      final Map<String, String> a,
      final Communicator comm,
      final DecayMode mode,
      final int heads,
      final int dk,
      final int dv) {
    final int ranks = comm.ranks();
    final SpStrategy strategy =
        SequenceParallelAttention.resolve(
            SpStrategy.fromId(a.getOrDefault("strategy", "allscan")),
            ranks,
            new ScanShape(heads, dk, dv),
            SpCostModel.DEFAULT);
    return new SequenceParallelAttention(
        mode,
        Integer.parseInt(a.getOrDefault("chunk", "64")),
        heads,
        dk,
        dv,
        comm,
        strategy,
        Integer.parseInt(a.getOrDefault("blocks", "0")));
  }

  private static void runAttention(
      final Map<String, String> a,
      final Communicator comm,
      final int rank,
      final int ranks,
      final PrintStream out) {
    try (AttentionInputs in = AttentionInputs.load(Path.of(a.get("inputs")))) {
      final int start = ShardPlan.start(in.tokens(), ranks, rank);
      final int len = ShardPlan.length(in.tokens(), ranks, rank);
      final int heads = in.batch() * in.heads();
      try (RankSlice slice = new RankSlice(in, start, len);
          SequenceParallelAttention op = operator(a, comm, in.mode(), heads, in.dk(), in.dv())) {
        slice.run(op);
        final Path dir = Path.of(a.get("out"));
        for (final String name : slice.outputNames()) {
          final FloatView v = slice.view(name);
          Npy.writeFloat32(dir.resolve(name + ".npy"), v);
        }
        if (rank == ranks - 1) {
          Npy.writeFloat32(
              dir.resolve("S_out.npy"),
              new int[] {heads, in.dk(), in.dv()},
              op.outgoingState().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT));
        }
        printStats(out, rank, op, 0);
      }
    }
  }

  private static void runSynthetic(
      final Map<String, String> a,
      final Communicator comm,
      final int rank,
      final int ranks,
      final PrintStream out) {
    final DecayMode mode = DecayMode.fromId(a.getOrDefault("mode", "gla"));
    final long tokens = Long.parseLong(a.get("tokens"));
    final int heads = Integer.parseInt(a.getOrDefault("heads", "2"));
    final int dk = Integer.parseInt(a.getOrDefault("dk", "32"));
    final int dv = Integer.parseInt(a.getOrDefault("dv", "32"));
    final int iters = Integer.parseInt(a.getOrDefault("iters", "1"));
    final SyntheticAttention p =
        new SyntheticAttention(mode, Long.parseLong(a.getOrDefault("seed", "7")), heads, dk, dv);
    final int start = ShardPlan.start(Math.toIntExact(tokens), ranks, rank);
    final int len = ShardPlan.length(Math.toIntExact(tokens), ranks, rank);
    try (RankSlice slice = RankSlice.synthetic(p, start, len);
        SequenceParallelAttention op = operator(a, comm, mode, heads, dk, dv)) {
      final var bean = ManagementFactory.getThreadMXBean();
      for (int it = 0; it < iters; it++) {
        final long cpu0 = bean.getCurrentThreadCpuTime();
        slice.run(op);
        printStats(out, rank, op, bean.getCurrentThreadCpuTime() - cpu0);
        if (it == 0) {
          out.println("READY " + rank);
          printSamples(a.get("samples"), slice, start, len, heads, dv, out);
        }
      }
    }
  }

  private static void runSoftmax(
      final Map<String, String> a,
      final Communicator comm,
      final int rank,
      final int ranks,
      final PrintStream out) {
    final SoftmaxStrategy strategy = SoftmaxStrategy.fromId(a.getOrDefault("strategy", "ring"));
    final int tokens = Integer.parseInt(a.get("tokens"));
    final int heads = Integer.parseInt(a.getOrDefault("heads", "2"));
    final int dk = Integer.parseInt(a.getOrDefault("dk", "32"));
    final int dv = Integer.parseInt(a.getOrDefault("dv", "32"));
    final int iters = Integer.parseInt(a.getOrDefault("iters", "1"));
    final SyntheticAttention p =
        new SyntheticAttention(
            DecayMode.PLAIN, Long.parseLong(a.getOrDefault("seed", "7")), heads, dk, dv);
    final SequenceLayout layout = new SequenceLayout(strategy.layout(), tokens, ranks);
    try (LayoutSlice slice = LayoutSlice.synthetic(p, layout, rank);
        SoftmaxSpAttention op =
            SoftmaxSpAttention.create(
                strategy, comm, rank, layout, heads, dk, dv, (float) (1.0 / Math.sqrt(dk)))) {
      final var bean = ManagementFactory.getThreadMXBean();
      for (int it = 0; it < iters; it++) {
        final long cpu0 = bean.getCurrentThreadCpuTime();
        slice.run(op);
        printStats(
            out,
            rank,
            op.forwardStats(),
            op.backwardStats(),
            bean.getCurrentThreadCpuTime() - cpu0);
        if (it == 0) {
          out.println("READY " + rank);
        }
      }
    }
  }

  private static void printSamples(
      final String samples,
      final RankSlice slice,
      final int start,
      final int len,
      final int heads,
      final int dv,
      final PrintStream out) {
    if (samples == null || samples.isEmpty()) {
      return;
    }
    final FloatView o = slice.view("o");
    for (final String s : samples.split(",")) {
      final long tok = Long.parseLong(s);
      if (tok < start || tok >= start + len) {
        continue;
      }
      for (int h = 0; h < heads; h++) {
        final StringBuilder b = new StringBuilder("SAMPLE ").append(tok).append(' ').append(h);
        final long base = ((long) h * len + (tok - start)) * dv;
        for (int j = 0; j < dv; j++) {
          b.append(' ').append(o.get(base + j));
        }
        out.println(b);
      }
    }
  }

  private static void printStats(
      final PrintStream out, final int rank, final SequenceParallelAttention op, final long cpuNs) {
    printStats(out, rank, op.forwardStats(), op.backwardStats(), cpuNs);
  }

  private static void printStats(
      final PrintStream out,
      final int rank,
      final SpCallStats f,
      final SpCallStats b,
      final long cpuNs) {
    out.println(
        "STATS "
            + rank
            + " "
            + f.totalNs()
            + " "
            + f.exposedNs()
            + " "
            + b.totalNs()
            + " "
            + b.exposedNs()
            + " "
            + (f.bytesReceived() + b.bytesReceived())
            + " "
            + f.statesReceived()
            + " "
            + b.statesReceived()
            + " "
            + cpuNs
            + " "
            + (f.computeCpuNs() + b.computeCpuNs()));
  }
}
