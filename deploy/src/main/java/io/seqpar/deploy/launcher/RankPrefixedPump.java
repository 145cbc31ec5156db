package io.seqpar.deploy.launcher;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * Drains one child's output on one virtual thread for the child's life: every line goes to the
 * child's log file (flushed per line, so a crash loses nothing), into the {@link LogTail} for the
 * root-cause block and, when the filter allows, to the console prefixed {@code [w03] }. The log
 * file is opened in append mode so that restarts add to the same file.
 */
public final class RankPrefixedPump implements Runnable {
  private final String prefix;
  private final InputStream in;
  private final BufferedWriter log;
  private final PrintStream console;
  private final LogTail tail;
  private final java.util.function.Consumer<String> listener;
  private final Thread thread;

  private RankPrefixedPump(
      final String label,
      final InputStream in,
      final BufferedWriter log,
      final PrintStream console,
      final LogTail tail,
      final java.util.function.Consumer<String> listener) {
    this.listener = listener;
    this.prefix = "[" + label + "] ";
    this.in = in;
    this.log = log;
    this.console = console;
    this.tail = tail;
    this.thread = Thread.ofVirtual().name("pump-" + label).unstarted(this);
  }

  /**
   * Starts pumping {@code in} to {@code logFile} (appended), {@code tail} and, if non-null, {@code
   * console} and {@code listener} (which gets the line without its prefix).
   */
  public static RankPrefixedPump start(
      final String label,
      final InputStream in,
      final Path logFile,
      final PrintStream console,
      final LogTail tail,
      final java.util.function.Consumer<String> listener) {
    final BufferedWriter log;
    try {
      log =
          Files.newBufferedWriter(
              logFile,
              StandardCharsets.UTF_8,
              StandardOpenOption.CREATE,
              StandardOpenOption.APPEND,
              StandardOpenOption.WRITE);
    } catch (final IOException e) {
      throw new UncheckedIOException("cannot open log file " + logFile + " for " + label, e);
    }
    final RankPrefixedPump pump = new RankPrefixedPump(label, in, log, console, tail, listener);
    pump.thread.start();
    return pump;
  }

  @Override
  public void run() {
    try (BufferedReader reader =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        BufferedWriter w = log) {
      String line;
      while ((line = reader.readLine()) != null) {
        final String prefixed = prefix + line;
        tail.add(prefixed);
        // Prefixed in the file too, so that `cat logs/*.log | sort` and grep keep the origin.
        w.write(prefixed);
        w.newLine();
        w.flush();
        if (console != null) {
          // PrintStream.println is synchronized, so lines of different children never interleave.
          console.println(prefixed);
        }
        if (listener != null) {
          listener.accept(line);
        }
      }
    } catch (final IOException e) {
      // The stream closes under us when the launcher kills the child: the output ends there.
      tail.add(prefix + "<output ended: " + e.getMessage() + ">");
    }
  }

  /**
   * Waits up to {@code timeoutMs} for the output to end (the child and every descendant holding the
   * pipe have exited). Returns false on timeout, e.g. when a surviving grandchild keeps it open.
   */
  public boolean awaitEnd(final long timeoutMs) throws InterruptedException {
    return thread.join(java.time.Duration.of(timeoutMs, TimeUnit.MILLISECONDS.toChronoUnit()));
  }
}
