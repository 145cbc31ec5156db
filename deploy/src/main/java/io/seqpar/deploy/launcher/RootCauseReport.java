package io.seqpar.deploy.launcher;

import java.io.PrintStream;
import java.util.List;

/**
 * Prints torchrun's failure summary for a failed group: the other failures, then the root cause
 * (first observed failure) with time, role, rank, pid, exit code or signal, log file and last
 * lines.
 */
public final class RootCauseReport {
  private static final String RULE = "=".repeat(72);
  private static final String THIN = "-".repeat(72);

  private RootCauseReport() {}

  /** Prints nothing for a success. */
  public static void print(final PrintStream out, final String what, final GroupOutcome o) {
    if (o.succeeded()) {
      return;
    }
    out.print(format(what, o));
    out.flush();
  }

  public static String format(final String what, final GroupOutcome o) {
    final StringBuilder b = new StringBuilder();
    b.append(RULE).append('\n');
    b.append(what)
        .append(" FAILED (")
        .append(o.status())
        .append(", exit code ")
        .append(o.exitCode());
    b.append(", attempt ").append(o.restartCount() + 1).append(")\n");
    b.append(THIN).append('\n');
    b.append("Failures:\n");
    if (o.otherFailures().isEmpty()) {
      b.append("  <NO_OTHER_FAILURES>\n");
    }
    int i = 1;
    for (final ChildExit e : o.otherFailures()) {
      entry(b, i++, e, false);
    }
    b.append(THIN).append('\n');
    b.append("Root Cause (first observed failure):\n");
    if (o.rootCause() == null) {
      b.append("  [0]:\n    reason    : ").append(o.reason()).append('\n');
    } else {
      entry(b, 0, o.rootCause(), true);
    }
    b.append(RULE).append('\n');
    return b.toString();
  }

  private static void entry(
      final StringBuilder b, final int index, final ChildExit e, final boolean withLines) {
    b.append("  [").append(index).append("]:\n");
    field(b, "time", e.time().toString());
    field(b, "role", e.role().id());
    field(b, "rank", e.rank() + " (" + e.label() + ")");
    field(b, "pid", Long.toString(e.pid()));
    field(b, "exitcode", e.describeExitCode());
    field(b, "reason", e.reason());
    field(b, "log", e.logFile().toString());
    if (withLines) {
      final List<String> lines = e.lastLines();
      b.append("    last ").append(lines.size()).append(" lines:\n");
      for (final String l : lines) {
        b.append("      ").append(l).append('\n');
      }
    }
  }

  private static void field(final StringBuilder b, final String name, final String value) {
    b.append("    ").append(String.format("%-10s", name)).append(": ").append(value).append('\n');
  }
}
