package io.seqpar.deploy.launcher;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Traps SIGINT and SIGTERM to the launcher so that it can tear the group down and exit 130 or 143
 * itself, instead of the JVM's default of running shutdown hooks and exiting with no summary.
 *
 * <p>Uses {@code sun.misc.Signal} from {@code jdk.unsupported}, which every JDK ships and which
 * needs no {@code --add-exports} (unlike {@code jdk.internal.misc.Signal}). It is called through
 * reflection only so that javac does not warn about a proprietary API on every build. Where a
 * handler cannot be installed (the JVM was started with {@code -Xrs}, the class is missing, or the
 * signal is reserved), {@link #installed()} says so and the {@link ProcessGroup}'s shutdown hook
 * still tears the group down; the JVM then exits 130/143 on its own. {@link #close()} restores the
 * previous handlers.
 */
public final class LauncherSignals implements AutoCloseable {
  /** The signals trapped and the outcome each maps to. */
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

  private final List<Object> signals = new ArrayList<>();
  private final List<Object> previous = new ArrayList<>();
  private final Method handle;

  private LauncherSignals(final Method handle) {
    this.handle = handle;
  }

  /** Installs handlers that call {@code onSignal} (on the JVM's signal thread; keep it short). */
  public static LauncherSignals install(final Consumer<Trapped> onSignal) {
    final Class<?> signalClass;
    final Class<?> handlerClass;
    final Method handle;
    try {
      signalClass = Class.forName("sun.misc.Signal");
      handlerClass = Class.forName("sun.misc.SignalHandler");
      handle = signalClass.getMethod("handle", signalClass, handlerClass);
    } catch (final ReflectiveOperationException e) {
      return new LauncherSignals(null); // no sun.misc.Signal: the shutdown hook is the fallback
    }
    final LauncherSignals s = new LauncherSignals(handle);
    for (final Trapped t : Trapped.values()) {
      try {
        final Object sig = signalClass.getConstructor(String.class).newInstance(t.name());
        final Object handler =
            Proxy.newProxyInstance(
                LauncherSignals.class.getClassLoader(),
                new Class<?>[] {handlerClass},
                (proxy, method, args) ->
                    switch (method.getName()) {
                      case "handle" -> {
                        onSignal.accept(t);
                        yield null;
                      }
                      case "hashCode" -> System.identityHashCode(proxy);
                      case "equals" -> proxy == args[0];
                      default -> "seqpar launcher SIG" + t.name() + " handler";
                    });
        s.previous.add(handle.invoke(null, sig, handler));
        s.signals.add(sig);
      } catch (final ReflectiveOperationException e) {
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
      try {
        handle.invoke(null, signals.get(i), previous.get(i));
      } catch (final ReflectiveOperationException e) {
        // Restoring failed: the process is about to exit anyway, with our handler still in place.
      }
    }
    signals.clear();
    previous.clear();
  }
}
