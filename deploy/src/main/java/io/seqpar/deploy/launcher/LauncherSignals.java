package io.seqpar.deploy.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Traps SIGINT and SIGTERM to the launcher so that it can tear the group down and exit 130 or 143
 * itself, instead of the JVM's default of running shutdown hooks and exiting 130/143 with no
 * summary. Uses {@code sun.misc.Signal} from {@code jdk.unsupported}, which every JDK ships and
 * which needs no {@code --add-exports} (unlike {@code jdk.internal.misc.Signal}). Where a handler
 * cannot be installed (the JVM was started with {@code -Xrs}, or the signal is reserved), the
 * {@link ProcessGroup}'s shutdown hook still tears the group down, and the JVM exits 130/143 on its
 * own. {@link #close()} restores the previous handlers.
 */
public final class LauncherSignals implements AutoCloseable {
  /** The signals trapped and the exit codes they map to. */
  public enum Trapped {
    INT(GroupOutcome.Status.INTERRUPTED),
    TERM(GroupOutcome.Status.TERMINATED);

    private final GroupOutcome.Status status;

    Trapped(final GroupOutcome.Status status) {
      this.status = status;
    }

    public GroupOutcome.Status status() {
      return status;
    }
  }

  private final List<Signal> signals = new ArrayList<>();
  private final List<SignalHandler> previous = new ArrayList<>();

  private LauncherSignals() {}

  /** Installs handlers that call {@code onSignal} (on the JVM's signal thread; keep it short). */
  public static LauncherSignals install(final Consumer<Trapped> onSignal) {
    final LauncherSignals s = new LauncherSignals();
    for (final Trapped t : Trapped.values()) {
      try {
        final Signal sig = new Signal(t.name());
        final SignalHandler old = Signal.handle(sig, ignored -> onSignal.accept(t));
        s.signals.add(sig);
        s.previous.add(old);
      } catch (final IllegalArgumentException | UnsupportedOperationException e) {
        // Reserved by the VM (e.g. -Xrs): the shutdown hook is the fallback, see the class comment.
      }
    }
    return s;
  }

  /** How many of the two signals are trapped (2 normally). */
  public int installed() {
    return signals.size();
  }

  @Override
  public void close() {
    for (int i = 0; i < signals.size(); i++) {
      Signal.handle(signals.get(i), previous.get(i));
    }
    signals.clear();
    previous.clear();
  }
}
