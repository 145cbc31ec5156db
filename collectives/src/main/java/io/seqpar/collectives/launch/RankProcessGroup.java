package io.seqpar.collectives.launch;

import io.seqpar.SeqparException;
import io.seqpar.collectives.transport.EmbeddedDriver;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.agrona.IoUtil;

/**
 * Launches P ranks as real JVM processes running {@link RankMain} and plays coordinator: it
 * collects each rank's bound endpoint ({@code ENDPOINT r addr}), sends every rank the peer table
 * ({@code PEERS a0,a1,…}), then hands the ranks' other output lines to the caller. {@link #close()}
 * kills every child still running (destroyForcibly), so none outlives the group.
 *
 * <p>Children run with this JVM's java binary and class path plus the JVM flags Aeron needs. A rank
 * that runs its own media driver (UDP) puts its directory at {@code $SEQPAR_RANK_DIR_PREFIX-<rank>}
 * ({@link #RANK_DIR_PREFIX_ENV}); {@link #close()} deletes what is left there, so a rank killed
 * with SIGKILL (which cannot clean up) leaves nothing in {@code /dev/shm}.
 */
public final class RankProcessGroup implements AutoCloseable {
  /** Flags every child JVM gets (Agrona's Unsafe access, FFM). */
  public static final List<String> JVM_FLAGS =
      List.of(
          "--add-opens",
          "java.base/jdk.internal.misc=ALL-UNNAMED",
          "--add-opens",
          "java.base/java.nio=ALL-UNNAMED",
          "--enable-native-access=ALL-UNNAMED",
          "--add-modules",
          "jdk.incubator.vector",
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=4",
          "-Xss512k",
          "-Xmx1g");

  /** Environment variable naming the prefix of the rank processes' own driver directories. */
  public static final String RANK_DIR_PREFIX_ENV = "SEQPAR_RANK_DIR_PREFIX";

  /** One output line of a rank. */
  public record Line(int rank, String text) {}

  private final List<Process> processes = new ArrayList<>();
  private final BlockingQueue<Line> lines = new LinkedBlockingQueue<>();
  private final String[] endpoints;
  private final String rankDirPrefix = EmbeddedDriver.uniqueDirName("seqpar-rank");

  private RankProcessGroup(final int ranks) {
    endpoints = new String[ranks];
  }

  /**
   * Starts {@code ranks} children with {@code args(rank)} after the main class, and completes the
   * endpoint exchange within {@code startTimeoutNs}.
   */
  public static RankProcessGroup start(
      final int ranks,
      final java.util.function.IntFunction<List<String>> args,
      final long startTimeoutNs) {
    return start(ranks, RankMain.class.getName(), args, startTimeoutNs);
  }

  /**
   * As {@link #start(int, java.util.function.IntFunction, long)} with another main class that
   * speaks the same protocol (print {@code ENDPOINT rank addr}, read {@code PEERS …}).
   */
  public static RankProcessGroup start(
      final int ranks,
      final String mainClass,
      final java.util.function.IntFunction<List<String>> args,
      final long startTimeoutNs) {
    return start(ranks, mainClass, List.of(), args, startTimeoutNs);
  }

  /**
   * As above, with {@code jvmFlags} after {@link #JVM_FLAGS} (a later {@code -Xmx} or {@code
   * -XX:MaxDirectMemorySize} overrides the default).
   */
  public static RankProcessGroup start(
      final int ranks,
      final String mainClass,
      final List<String> jvmFlags,
      final java.util.function.IntFunction<List<String>> args,
      final long startTimeoutNs) {
    final RankProcessGroup g = new RankProcessGroup(ranks);
    try {
      final String java = ProcessHandle.current().info().command().orElse("java");
      final String cp = System.getProperty("java.class.path");
      for (int r = 0; r < ranks; r++) {
        final List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(JVM_FLAGS);
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add(mainClass);
        cmd.addAll(args.apply(r));
        final ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put(RANK_DIR_PREFIX_ENV, g.rankDirPrefix);
        final Process p = pb.start();
        g.processes.add(p);
        g.pump(r, p);
      }
      g.exchangeEndpoints(startTimeoutNs);
      return g;
    } catch (final IOException | RuntimeException e) {
      g.close();
      throw e instanceof RuntimeException re ? re : new SeqparException("launch failed", e);
    }
  }

  private void pump(final int rank, final Process p) {
    final Thread t =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String s;
                while ((s = in.readLine()) != null) {
                  lines.add(new Line(rank, s));
                }
              } catch (final IOException ignored) {
                // the process went away; its exit code tells the story
              }
              lines.add(new Line(rank, "EXIT"));
            },
            "rank-" + rank + "-out");
    t.setDaemon(true);
    t.start();
  }

  private void exchangeEndpoints(final long timeoutNs) {
    final long deadline = System.nanoTime() + timeoutNs;
    int have = 0;
    final List<Line> early = new ArrayList<>();
    while (have < endpoints.length) {
      final Line l = next(deadline);
      if (l == null) {
        throw new SeqparException(
            "launch: ranks did not report endpoints in time; got "
                + have
                + " of "
                + endpoints.length
                + early);
      }
      if (l.text().startsWith("ENDPOINT ")) {
        final String[] f = l.text().split(" ");
        endpoints[Integer.parseInt(f[1])] = f[2];
        have++;
      } else if (l.text().equals("EXIT")) {
        throw new SeqparException(
            "launch: rank " + l.rank() + " exited before reporting its endpoint; output: " + early);
      } else {
        early.add(l);
      }
    }
    final String table = "PEERS " + String.join(",", endpoints) + "\n";
    for (final Process p : processes) {
      try {
        final Writer w = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
        w.write(table);
        w.flush();
      } catch (final IOException e) {
        throw new SeqparException("launch: cannot send the peer table", e);
      }
    }
    lines.addAll(early);
  }

  /** Where rank r's own driver directory goes: this prefix + "-" + r. */
  public String rankDirPrefix() {
    return rankDirPrefix;
  }

  /** The endpoints the ranks reported. */
  public String[] endpoints() {
    return endpoints.clone();
  }

  /** The next output line of any rank, or null when {@code deadlineNs} passes first. */
  public Line next(final long deadlineNs) {
    try {
      return lines.poll(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SeqparException("interrupted waiting for rank output", e);
    }
  }

  public Process process(final int rank) {
    return processes.get(rank);
  }

  /** SIGKILLs one rank. */
  public void kill(final int rank) {
    processes.get(rank).destroyForcibly();
  }

  /**
   * Waits for every child to exit; returns the exit codes, or null entries for ones still running.
   */
  public Integer[] awaitExit(final long timeoutNs) {
    final long deadline = System.nanoTime() + timeoutNs;
    final Integer[] codes = new Integer[processes.size()];
    for (int r = 0; r < codes.length; r++) {
      try {
        final Process p = processes.get(r);
        if (p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          codes[r] = p.exitValue();
        }
      } catch (final InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return codes;
  }

  @Override
  public void close() {
    for (final Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    for (final Process p : processes) {
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (final InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (int r = 0; r < endpoints.length; r++) {
      IoUtil.delete(new File(rankDirPrefix + "-" + r), true);
    }
  }
}
