package io.seqpar.collectives.transport;

import io.seqpar.tensor.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Lets a rank on this host sleep until a peer has sent it something, instead of waking on a timer
 * to poll. Aeron IPC has no blocking receive; a rank that parks on a timer answers a hop only when
 * the timer fires, which on an oversubscribed host (ranks > cores) made every hop of a chain cost
 * up to the park period (P = 8 All-Scan at 256 KiB: 7 hops × ~0.5 ms).
 *
 * <p>One small shared file (in the Aeron directory all IPC ranks share) holds a slot per rank:
 * {@code [int seq, int waiting]}, 64 bytes apart. A receiver about to sleep sets {@code waiting},
 * reads {@code seq}, polls once more (so a frame that arrived in between is not missed) and then
 * {@code futex(FUTEX_WAIT, seq)} with a timeout. A sender, after offering frames to a rank, checks
 * its {@code waiting} flag and only then increments {@code seq} and {@code futex(FUTEX_WAKE)}s — no
 * syscall while the receiver is awake. Both sides put a full fence between their store and their
 * load, so either the sender sees the flag or the receiver sees the frame.
 *
 * <p>Linux only (x86-64 and aarch64); {@link #open} returns empty elsewhere and callers fall back
 * to timed parking. The timeout bounds every wait, so a lost wake-up (or a peer that died) costs at
 * most one timeout, and deadlines are checked as before.
 */
public final class Doorbell implements AutoCloseable {
  private static final int SLOT_BYTES = 64;
  private static final int FUTEX_WAIT = 0;
  private static final int FUTEX_WAKE = 1;
  private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
  private static final MethodHandle SYSCALL = syscallHandle();
  private static final long SYS_FUTEX = futexNumber();

  private final Arena arena;
  private final MemorySegment slots;
  private final MemorySegment[] seqWords;
  private final MemorySegment timeout;

  private Doorbell(final Arena arena, final MemorySegment slots, final int ranks) {
    this.arena = arena;
    this.slots = slots;
    this.seqWords = new MemorySegment[ranks];
    for (int r = 0; r < ranks; r++) {
      seqWords[r] = slots.asSlice((long) r * SLOT_BYTES, Integer.BYTES);
    }
    this.timeout = arena.allocate(16, 8); // struct timespec, reused
  }

  /**
   * Maps (creating it if needed) the doorbell file {@code dir/name} with a slot per rank; empty
   * when futex is not available on this platform.
   */
  public static Optional<Doorbell> open(final Path dir, final String name, final int ranks)
      throws IOException {
    if (SYSCALL == null || SYS_FUTEX < 0) {
      return Optional.empty();
    }
    final Arena arena = Arena.ofShared();
    try {
      final MemorySegment seg = Libc.mapShared(dir.resolve(name), (long) ranks * SLOT_BYTES, arena);
      return Optional.of(new Doorbell(arena, seg, ranks));
    } catch (final IOException | RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  /** Sender side: wakes {@code rank} if it is asleep (or about to sleep) on its doorbell. */
  public void ring(final int rank) {
    VarHandle.fullFence(); // the frames just committed, before reading the flag
    final long slot = (long) rank * SLOT_BYTES;
    if ((int) INT.getVolatile(slots, slot + Integer.BYTES) != 0) {
      INT.getAndAdd(slots, slot, 1);
      futex(seqWords[rank], FUTEX_WAKE, Integer.MAX_VALUE, MemorySegment.NULL);
    }
  }

  /**
   * Receiver side, step 1: announces that {@code rank} is about to sleep and returns the value to
   * pass to {@link #await}. The caller must poll once more before awaiting.
   */
  public int prepare(final int rank) {
    final long slot = (long) rank * SLOT_BYTES;
    INT.setVolatile(slots, slot + Integer.BYTES, 1);
    VarHandle.fullFence(); // the flag, before the caller's last poll
    return (int) INT.getVolatile(slots, slot);
  }

  /** Receiver side, step 2: sleeps until rung after {@link #prepare} or {@code timeoutNs}. */
  public void await(final int rank, final int seen, final long timeoutNs) {
    timeout.set(ValueLayout.JAVA_LONG, 0, timeoutNs / 1_000_000_000L);
    timeout.set(ValueLayout.JAVA_LONG, 8, timeoutNs % 1_000_000_000L);
    futex(seqWords[rank], FUTEX_WAIT, seen, timeout);
  }

  /** Receiver side, step 3: awake again; senders stop ringing. */
  public void done(final int rank) {
    INT.setVolatile(slots, (long) rank * SLOT_BYTES + Integer.BYTES, 0);
  }

  private static void futex(
      final MemorySegment word, final int op, final int value, final MemorySegment ts) {
    try {
      final long ignored = (long) SYSCALL.invokeExact(SYS_FUTEX, word, (long) op, (long) value, ts);
    } catch (final Throwable t) {
      throw new IllegalStateException("futex failed", t);
    }
  }

  @Override
  public void close() {
    arena.close();
  }

  private static MethodHandle syscallHandle() {
    return Libc.downcall(
        "syscall",
        FunctionDescriptor.of(
            ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG,
            ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG, // syscall(2) reads every argument as a long
            ValueLayout.JAVA_LONG,
            ValueLayout.ADDRESS),
        Linker.Option.firstVariadicArg(1));
  }

  private static long futexNumber() {
    return switch (System.getProperty("os.arch", "")) {
      case "amd64", "x86_64" -> 202;
      case "aarch64" -> 98;
      default -> -1;
    };
  }
}
