package io.seqpar.collectives.transport;

import io.seqpar.InvalidInputException;
import io.seqpar.tensor.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * Pins the thread that runs a rank's collectives to a core of its own when the ranks of one host
 * each have one, as {@code mpirun} binds ranks to cores at np ≤ 2.
 *
 * <p>Why: with two ranks on two cores the IPC media driver's thread is a third runnable thread, so
 * one core always holds two. Left to the scheduler, both ranks sometimes share a core for a whole
 * benchmark point, and then the rank that waits gets the core only after its peer has computed.
 * Traced on 2 cores: All-Scan P = 2, 1 MiB, rank 1 began its call a median 21.7–24.8 µs after rank
 * 0 in 3 of 6 runs, but 0.3–7.5 µs in every bound run; medians over 9 alternating runs, 4 MiB 141
 * µs bound against 180 unbound (docs/PERFORMANCE.md, "All-Scan at P = 2").
 *
 * <p>Only the calling thread is pinned; the JVM's other threads keep the process's mask. The JVM
 * reports the calling thread's mask as its processor count, so the host's count is read once,
 * before any binding ({@link #hostCores()}), and sizing decisions use that.
 */
public final class CoreBinding {
  /** {@code core} (the default) or {@code none}. */
  public static final String ENV = "SEQPAR_BIND";

  private static final int HOST_CORES = Runtime.getRuntime().availableProcessors();

  // Room for 1024 CPUs, the kernel's default cpu_set_t.
  private static final long MASK_BYTES = 128;

  private static final MethodHandle GET_AFFINITY = affinityCall("sched_getaffinity");
  private static final MethodHandle SET_AFFINITY = affinityCall("sched_setaffinity");

  private CoreBinding() {}

  /** The processors this JVM could use before any thread was bound. */
  public static int hostCores() {
    return HOST_CORES;
  }

  /**
   * Whether {@code localRanks} processes on this host get a core each: at least two of them, no
   * more than {@link #hostCores()}, and {@code SEQPAR_BIND} ({@code env}) is not {@code none}.
   *
   * @throws InvalidInputException when {@code env} is neither unset, {@code core} nor {@code none}
   */
  public static boolean applies(final int localRanks, final String env) {
    return enabled(env) && localRanks >= 2 && localRanks <= HOST_CORES;
  }

  /**
   * Whether {@code SEQPAR_BIND}'s value {@code env} lets ranks bind: unset, blank or {@code core}
   * yes, {@code none} no.
   *
   * @throws InvalidInputException naming the variable, the value and what is allowed otherwise
   */
  public static boolean enabled(final String env) {
    if (env == null || env.isBlank() || env.trim().equals("core")) {
      return true;
    }
    if (env.trim().equals("none")) {
      return false;
    }
    throw new InvalidInputException(ENV + ": '" + env + "' is not allowed (allowed: core|none)");
  }

  /**
   * Binds the calling thread to the {@code localRank}-th processor it may run on (modulo their
   * number) when {@link #applies} for {@code localRanks} and the environment's {@code SEQPAR_BIND}.
   * Returns the processor, or -1 when not bound (not applicable, not Linux, or the kernel refused:
   * then the thread runs where the scheduler puts it, as before).
   */
  public static int bindIfOwnCore(final int localRank, final int localRanks) {
    if (!applies(localRanks, System.getenv(ENV))) {
      return -1;
    }
    final List<Integer> allowed = allowedCpus();
    if (allowed.size() < localRanks) {
      return -1;
    }
    final int cpu = allowed.get(Math.floorMod(localRank, allowed.size()));
    return bindCallingThread(cpu) ? cpu : -1;
  }

  /** The processors the calling thread may run on, ascending; empty where that cannot be read. */
  public static List<Integer> allowedCpus() {
    final List<Integer> cpus = new ArrayList<>();
    if (GET_AFFINITY == null) {
      return cpus;
    }
    try (Arena arena = Arena.ofConfined()) {
      final MemorySegment mask = arena.allocate(MASK_BYTES, 8);
      final int rc = (int) GET_AFFINITY.invokeExact(0, MASK_BYTES, mask);
      if (rc != 0) {
        return cpus;
      }
      for (int cpu = 0; cpu < MASK_BYTES * 8; cpu++) {
        if ((mask.get(ValueLayout.JAVA_BYTE, cpu / 8) & (1 << (cpu % 8))) != 0) {
          cpus.add(cpu);
        }
      }
      return cpus;
    } catch (final Throwable e) {
      return cpus;
    }
  }

  /** Restricts the calling thread to {@code cpu}; false when the kernel refuses or off Linux. */
  static boolean bindCallingThread(final int cpu) {
    if (SET_AFFINITY == null || cpu < 0 || cpu >= MASK_BYTES * 8) {
      return false;
    }
    try (Arena arena = Arena.ofConfined()) {
      final MemorySegment mask = arena.allocate(MASK_BYTES, 8);
      mask.set(ValueLayout.JAVA_BYTE, cpu / 8, (byte) (1 << (cpu % 8)));
      return (int) SET_AFFINITY.invokeExact(0, MASK_BYTES, mask) == 0;
    } catch (final Throwable e) {
      return false;
    }
  }

  /** {@code int f(pid_t pid, size_t size, cpu_set_t *mask)}; pid 0 is the calling thread. */
  private static MethodHandle affinityCall(final String name) {
    return Libc.downcall(
        name,
        FunctionDescriptor.of(
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG,
            ValueLayout.ADDRESS));
  }
}
