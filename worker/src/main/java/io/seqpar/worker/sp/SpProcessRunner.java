package io.seqpar.worker.sp;

import io.seqpar.SeqparException;
import io.seqpar.collectives.launch.RankProcessGroup;
import io.seqpar.collectives.transport.EmbeddedDriver;
import io.seqpar.tensor.Npy;
import io.seqpar.tensor.NpyArray;
import io.seqpar.worker.attention.AttentionInputs;
import io.seqpar.worker.attention.AttentionOutputs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Runs the SP operator with P ranks as real JVM processes ({@link SpRankMain}) over Aeron — IPC
 * (one media driver in this process, the ranks its clients) or UDP (a driver per rank) — and
 * gathers their outputs. The first rank to fail fails the whole run with its message; every child
 * is killed on the way out.
 */
public final class SpProcessRunner {
  private SpProcessRunner() {}

  /** Runs {@code inputs} (an oracle-layout directory) over {@code ranks} processes. */
  public static AttentionOutputs run(
      final Path inputs,
      final int chunk,
      final int ranks,
      final SpStrategy strategy,
      final int blocks,
      final String transport,
      final long timeoutNs) {
    final Path work;
    try {
      work = Files.createTempDirectory("seqpar-sp-");
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
    try (AttentionInputs in = AttentionInputs.load(inputs)) {
      runRanks(
          ranks,
          transport,
          timeoutNs,
          r ->
              List.of(
                  "workload=attention",
                  "inputs=" + inputs.toAbsolutePath(),
                  "out=" + work.resolve("rank" + r),
                  "chunk=" + chunk,
                  "strategy=" + strategy.id(),
                  "blocks=" + blocks),
          line -> {});
      return gather(in, work, ranks);
    } finally {
      deleteTree(work);
    }
  }

  /**
   * Starts {@code ranks} SP rank processes with {@code workloadArgs(rank)}, passes every output
   * line to {@code onLine}, and waits until all print {@code DONE}; throws naming the first rank
   * that printed {@code FAILED} or exited.
   */
  public static void runRanks(
      final int ranks,
      final String transport,
      final long timeoutNs,
      final java.util.function.IntFunction<List<String>> workloadArgs,
      final Consumer<RankProcessGroup.Line> onLine) {
    runRanks(ranks, transport, timeoutNs, List.of(), workloadArgs, onLine);
  }

  /** As above, with extra flags for the rank JVMs (e.g. a larger {@code -Xmx}). */
  public static void runRanks(
      final int ranks,
      final String transport,
      final long timeoutNs,
      final List<String> jvmFlags,
      final java.util.function.IntFunction<List<String>> workloadArgs,
      final Consumer<RankProcessGroup.Line> onLine) {
    if (!transport.equals("ipc") && !transport.equals("udp")) {
      throw new IllegalArgumentException("transport '" + transport + "' (allowed: ipc, udp)");
    }
    final EmbeddedDriver driver =
        transport.equals("ipc") ? EmbeddedDriver.launchUnique("seqpar-sp", ranks) : null;
    try (RankProcessGroup g =
        RankProcessGroup.start(
            ranks,
            SpRankMain.class.getName(),
            jvmFlags,
            r -> {
              final List<String> a =
                  new ArrayList<>(
                      List.of(
                          "transport=" + transport,
                          "rank=" + r,
                          "ranks=" + ranks,
                          "timeoutMs=" + TimeUnit.NANOSECONDS.toMillis(timeoutNs)));
              if (driver != null) {
                a.add("aeronDir=" + driver.aeronDirectoryName());
              }
              a.addAll(workloadArgs.apply(r));
              return a;
            },
            TimeUnit.SECONDS.toNanos(120))) {
      final long deadline = System.nanoTime() + 4 * timeoutNs + TimeUnit.SECONDS.toNanos(120);
      final boolean[] done = new boolean[ranks];
      int remaining = ranks;
      while (remaining > 0) {
        final RankProcessGroup.Line l = g.next(deadline);
        if (l == null) {
          throw new SeqparException("sp attention: ranks did not finish before the deadline");
        }
        onLine.accept(l);
        if (l.text().startsWith("DONE ")) {
          done[l.rank()] = true;
          remaining--;
        } else if (l.text().startsWith("FAILED ")) {
          throw new SeqparException("sp attention: rank " + l.rank() + " failed: " + l.text());
        } else if (l.text().equals("EXIT") && !done[l.rank()]) {
          throw new SeqparException("sp attention: rank " + l.rank() + " exited without finishing");
        }
      }
    } finally {
      if (driver != null) {
        driver.close();
      }
    }
  }

  private static AttentionOutputs gather(
      final AttentionInputs in, final Path work, final int ranks) {
    final int heads = in.batch() * in.heads();
    final AttentionOutputs out =
        new AttentionOutputs(in.mode(), in.batch(), in.heads(), in.tokens(), in.dk(), in.dv());
    for (int r = 0; r < ranks; r++) {
      final int start = ShardPlan.start(in.tokens(), ranks, r);
      final int len = ShardPlan.length(in.tokens(), ranks, r);
      final Path dir = work.resolve("rank" + r);
      for (final String name : out.names()) {
        if (name.equals("S_T")) {
          continue;
        }
        final int w = name.equals("o") || name.equals("dv") ? in.dv() : in.dk();
        final NpyArray a = Npy.read(dir.resolve(name + ".npy"));
        RankSlice.scatter(
            MemorySegment.ofArray(a.toFloatArray()),
            out.view(name),
            heads,
            in.tokens(),
            start,
            len,
            w);
      }
    }
    final NpyArray sOut = Npy.read(work.resolve("rank" + (ranks - 1)).resolve("S_out.npy"));
    out.view("S_T").copyFrom(sOut.toFloatArray());
    return out;
  }

  private static void deleteTree(final Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      for (final Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (final IOException ignored) {
      // a temp directory; leftovers are harmless
    }
  }
}
