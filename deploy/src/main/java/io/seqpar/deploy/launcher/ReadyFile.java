package io.seqpar.deploy.launcher;

import io.seqpar.SeqparException;
import io.seqpar.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The port handshake: a child that binds port 0 writes {@code {"port": 43123}} to its ready file
 * ({@link EnvContract#READY_FILE}) atomically, by writing a temp file in the same directory and
 * renaming it, so the launcher never reads half a file. The launcher polls for it with a deadline
 * and fails fast if the child dies first.
 */
public final class ReadyFile {
  private static final Pattern PORT = Pattern.compile("\"(?:grpc_)?port\"\\s*:\\s*(\\d+)");
  private static final long POLL_MS = 25;

  private ReadyFile() {}

  /** Writes {@code {"port": port}} to {@code file} by temp + atomic rename (the child's side). */
  public static void write(final Path file, final int port) throws IOException {
    AtomicFiles.write(file, ("{\"port\": " + port + "}\n").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Waits up to {@code timeoutMs} for {@code child} to write {@code file} and returns the port.
   *
   * @throws SeqparException naming the child, the file and the wait if the child exits first, the
   *     deadline passes, or the file holds no valid port
   */
  public static int awaitPort(final Path file, final ChildProcess child, final long timeoutMs)
      throws InterruptedException {
    return awaitPort(file, child, timeoutMs, () -> false);
  }

  /**
   * As {@link #awaitPort(Path, ChildProcess, long)}, and gives up as soon as {@code cancelled} says
   * so (the group was stopped, e.g. by Ctrl-C, while the child was still starting).
   */
  public static int awaitPort(
      final Path file,
      final ChildProcess child,
      final long timeoutMs,
      final java.util.function.BooleanSupplier cancelled)
      throws InterruptedException {
    final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    final long t0 = System.nanoTime();
    while (true) {
      final String text = readIfPresent(file);
      if (text != null) {
        return parsePort(file, child, text);
      }
      if (!child.isAlive()) {
        // Look once more: it may have written the file just before exiting 0.
        final String last = readIfPresent(file);
        if (last != null) {
          return parsePort(file, child, last);
        }
        throw new SeqparException(
            child
                + " exited with code "
                + ChildExit.describe(child.exitCode())
                + " before writing its ready file "
                + file
                + " (waited "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)
                + " ms)");
      }
      if (cancelled.getAsBoolean()) {
        throw new SeqparException(
            "stopped while waiting for the ready file " + file + " of " + child);
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new SeqparException(
            child + " did not write its ready file " + file + " within " + timeoutMs + " ms");
      }
      Thread.sleep(POLL_MS);
    }
  }

  private static String readIfPresent(final Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (final NoSuchFileException e) {
      return null;
    } catch (final IOException e) {
      throw new SeqparException("cannot read ready file " + file + ": " + e, e);
    }
  }

  private static int parsePort(final Path file, final ChildProcess child, final String text) {
    final Matcher m = PORT.matcher(text);
    if (!m.find()) {
      throw new SeqparException(
          "ready file " + file + " of " + child + " has no \"port\": '" + text.strip() + "'");
    }
    final long port = Long.parseLong(m.group(1));
    if (port < 1 || port > 65_535) {
      throw new SeqparException(
          "ready file "
              + file
              + " of "
              + child
              + ": port="
              + port
              + " is out of range (allowed: 1..65535)");
    }
    return (int) port;
  }
}
