package io.seqpar.deploy.launcher;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The one aggregated progress display of a run, fed with the coordinator's {@link StepReport}s. On
 * a terminal it redraws a single line ({@code \r}) with a bar, steps, loss, tokens/s and ETA; when
 * stdout is not a terminal (CI, Kubernetes logs) it prints a plain line at most every {@code
 * plainEveryMs}, plus the last step, so logs stay short and greppable.
 */
public final class Progress {
  private static final int BAR_WIDTH = 24;

  private final PrintStream out;
  private final boolean tty;
  private final long plainEveryNs;
  private final LongSupplier clockNs;
  private long firstNs = -1;
  private int firstStep;
  private long lastPlainNs = Long.MIN_VALUE;
  private boolean drawn;

  public Progress(
      final PrintStream out,
      final boolean tty,
      final long plainEveryMs,
      final LongSupplier clockNs) {
    this.out = out;
    this.tty = tty;
    this.plainEveryNs = TimeUnit.MILLISECONDS.toNanos(plainEveryMs);
    this.clockNs = clockNs;
  }

  /** For the launcher's stdout: a bar if it is a terminal, else a line every 10 s. */
  public static Progress forConsole(final PrintStream out) {
    return new Progress(out, System.console() != null, 10_000, System::nanoTime);
  }

  /** Shows one step's report. Thread-safe (pumps call it). */
  public synchronized void report(final StepReport r) {
    final long now = clockNs.getAsLong();
    if (firstNs < 0) {
      firstNs = now;
      firstStep = r.step();
    }
    final String text = render(r, now);
    if (tty) {
      out.print("\r" + text + "\u001b[K");
      out.flush();
      drawn = true;
    } else if (lastPlainNs == Long.MIN_VALUE
        || now - lastPlainNs >= plainEveryNs
        || r.step() >= r.totalSteps()) {
      out.println(text);
      lastPlainNs = now;
    }
  }

  /** Ends the bar's line so that the summary starts on a fresh one. */
  public synchronized void finish() {
    if (drawn) {
      out.println();
      drawn = false;
    }
  }

  String render(final StepReport r, final long nowNs) {
    final StringBuilder b = new StringBuilder();
    final double frac = r.totalSteps() == 0 ? 1 : Math.min(1.0, (double) r.step() / r.totalSteps());
    if (tty) {
      final int filled = (int) Math.round(frac * BAR_WIDTH);
      b.append('[').append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ");
    }
    b.append(
        String.format(Locale.ROOT, "step %d/%d %3.0f%%", r.step(), r.totalSteps(), frac * 100));
    if (!Double.isNaN(r.loss())) {
      b.append(String.format(Locale.ROOT, " | loss %.4f", r.loss()));
    }
    if (!Double.isNaN(r.tokensPerS())) {
      b.append(String.format(Locale.ROOT, " | %.0f tok/s", r.tokensPerS()));
    }
    final int done = r.step() - firstStep;
    if (done > 0 && r.step() < r.totalSteps()) {
      final double perStepNs = (double) (nowNs - firstNs) / done;
      b.append(" | ETA ").append(clock((long) (perStepNs * (r.totalSteps() - r.step()))));
    }
    return b.toString();
  }

  /** h:mm:ss or m:ss. */
  static String clock(final long ns) {
    final long s = TimeUnit.NANOSECONDS.toSeconds(ns);
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
