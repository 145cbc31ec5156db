package io.seqpar.collectives.transport;

import io.seqpar.tensor.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * The shared memory behind single-copy messages between ranks of one host ({@link CrossMemory}): a
 * small file in the driver directory every rank of the group maps (or, for ranks that are threads
 * of one JVM, a shared off-heap block).
 *
 * <pre>
 *   registration[r]   (64 B each, written by rank r)   pid @0, probe address @8, probe value @16
 *   pair[src][dst]    (64 B each, written by dst)      ack token @0, readable @8
 * </pre>
 *
 * <p>A rank registers its pid and the address of a word holding a random value. A receiver probes a
 * sender once by reading that word across processes: {@code readable = 1} when it read the value
 * (the sender may now send large messages as a descriptor instead of frames), {@code 2} when the
 * kernel refused ({@code EPERM}: frames for good). After pulling a message, the receiver stores the
 * sender's token in {@code ack}; the sender may then reuse its buffer. Each slot has one writer;
 * stores are releases and loads acquires.
 *
 * <p>The driver deletes its directory on start, so a board is always fresh for its job, epoch and
 * stream. Bounded at {@link #MAX_RANKS} ranks (4 MiB); larger groups use frames only.
 */
public final class RendezvousBoard implements AutoCloseable {
  /** Largest group a board is made for: P² pair slots of 64 bytes. */
  public static final int MAX_RANKS = 256;

  /** {@link #readable} states. */
  public static final int UNKNOWN = 0;

  public static final int READABLE = 1;
  public static final int REFUSED = 2;

  private static final int SLOT_BYTES = 64;
  private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
  private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

  private final Arena arena;
  private final MemorySegment slots;
  private final int ranks;
  private final long pairBase;

  private RendezvousBoard(final Arena arena, final MemorySegment slots, final int ranks) {
    this.arena = arena;
    this.slots = slots;
    this.ranks = ranks;
    this.pairBase = (long) ranks * SLOT_BYTES;
  }

  /** Bytes a board for {@code ranks} ranks takes. */
  public static long bytesFor(final int ranks) {
    return ((long) ranks + (long) ranks * ranks) * SLOT_BYTES;
  }

  /** Maps (creating it if needed) the board file {@code dir/name} shared by processes. */
  public static RendezvousBoard map(final Path dir, final String name, final int ranks)
      throws IOException {
    checkRanks(ranks);
    final Arena arena = Arena.ofShared();
    try {
      return new RendezvousBoard(
          arena, Libc.mapShared(dir.resolve(name), bytesFor(ranks), arena), ranks);
    } catch (final IOException | RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  /**
   * A board for ranks that are threads of this JVM (zeroed off-heap memory, freed when the last
   * endpoint holding it is collected; {@link #close} leaves it to the others).
   */
  public static RendezvousBoard inProcess(final int ranks) {
    checkRanks(ranks);
    return new RendezvousBoard(null, Arena.ofAuto().allocate(bytesFor(ranks), SLOT_BYTES), ranks);
  }

  private static void checkRanks(final int ranks) {
    if (ranks < 1 || ranks > MAX_RANKS) {
      throw new IllegalArgumentException(
          "ranks must be in [1, " + MAX_RANKS + "] for a rendezvous board, got " + ranks);
    }
  }

  /** Publishes {@code rank}'s pid and probe word (the pid last, so a reader sees all three). */
  public void register(
      final int rank, final int pid, final long probeAddress, final long probeValue) {
    final long slot = registration(rank);
    LONG.setRelease(slots, slot + 8, probeAddress);
    LONG.setRelease(slots, slot + 16, probeValue);
    LONG.setRelease(slots, slot, (long) pid);
  }

  /** {@code rank}'s pid, or 0 before it registered. */
  public int pid(final int rank) {
    return (int) (long) LONG.getAcquire(slots, registration(rank));
  }

  public long probeAddress(final int rank) {
    return (long) LONG.getAcquire(slots, registration(rank) + 8);
  }

  public long probeValue(final int rank) {
    return (long) LONG.getAcquire(slots, registration(rank) + 16);
  }

  /** Whether {@code dst} can read {@code src}'s memory: {@link #UNKNOWN}, {@link #READABLE}... */
  public int readable(final int src, final int dst) {
    return (int) INT.getAcquire(slots, pair(src, dst) + 8);
  }

  public void readable(final int src, final int dst, final int state) {
    INT.setRelease(slots, pair(src, dst) + 8, state);
  }

  /** The last token {@code dst} acknowledged for a message from {@code src}. */
  public long ack(final int src, final int dst) {
    return (long) LONG.getAcquire(slots, pair(src, dst));
  }

  public void ack(final int src, final int dst, final long token) {
    LONG.setRelease(slots, pair(src, dst), token);
  }

  private long registration(final int rank) {
    return (long) rank * SLOT_BYTES;
  }

  private long pair(final int src, final int dst) {
    return pairBase + ((long) src * ranks + dst) * SLOT_BYTES;
  }

  @Override
  public void close() {
    if (arena != null) {
      arena.close();
    }
  }
}
