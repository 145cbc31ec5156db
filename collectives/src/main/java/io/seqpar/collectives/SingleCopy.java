package io.seqpar.collectives;

import io.seqpar.collectives.transport.CrossMemory;
import io.seqpar.collectives.transport.RendezvousBoard;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.SecureRandom;

/**
 * One rank's side of single-copy messages ({@link Communicator}): instead of a large message's
 * frames, the sender offers a descriptor frame (the address of its buffer and a token) in the same
 * ordered stream, the receiver copies the whole message out of the sender's memory with {@link
 * CrossMemory} when that receive is at the head of its queue, and stores the token on the {@link
 * RendezvousBoard}; only then is the send complete and its buffer free again.
 *
 * <p>A sender uses it towards a peer only after that peer has proved it can read this rank's memory
 * (the probe word, read once), so a host that forbids cross-process reads keeps using frames.
 * Tokens start at a random value per destination so that a token on the board can only be an answer
 * to this sender's own descriptors.
 */
final class SingleCopy {
  /** Payload of a descriptor frame: the sender's buffer address, then the token. */
  static final int DESCRIPTOR_BYTES = 16;

  private final RendezvousBoard board;
  private final CrossMemory memory = new CrossMemory();
  private final int rank;
  private final int minBytes;
  // Held so the probe word stays allocated while peers may read it.
  private final MemorySegment probeWord;
  private final MemorySegment probeScratch;
  private final long[] nextToken;
  // Per source: RendezvousBoard.UNKNOWN until probed, then READABLE or REFUSED (as published).
  private final int[] probed;

  SingleCopy(final RendezvousBoard board, final int rank, final int ranks, final int minBytes) {
    this.board = board;
    this.rank = rank;
    this.minBytes = minBytes;
    final SecureRandom random = new SecureRandom();
    final Arena arena = Arena.ofAuto();
    this.probeWord = arena.allocate(Long.BYTES, Long.BYTES);
    final long probeValue = random.nextLong() | 1L;
    probeWord.set(ValueLayout.JAVA_LONG, 0, probeValue);
    this.probeScratch = arena.allocate(Long.BYTES, Long.BYTES);
    this.nextToken = new long[ranks];
    for (int p = 0; p < ranks; p++) {
      nextToken[p] = random.nextLong();
    }
    this.probed = new int[ranks];
    // A fresh start: peers send descriptors to this rank only after it has probed them again.
    for (int p = 0; p < ranks; p++) {
      board.readable(p, rank, RendezvousBoard.UNKNOWN);
    }
    board.register(rank, CrossMemory.currentPid(), probeWord.address(), probeValue);
  }

  /** Whether a message of {@code len} bytes to {@code dst} goes as a descriptor. */
  boolean eligible(final int dst, final int len) {
    return len >= minBytes && board.readable(rank, dst) == RendezvousBoard.READABLE;
  }

  /** The token the next descriptor to {@code dst} carries; {@link #issued} once it was offered. */
  long peekToken(final int dst) {
    return nextToken[dst];
  }

  void issued(final int dst) {
    nextToken[dst]++;
  }

  /**
   * Whether {@code dst} has copied the message of {@code token}: the board holds a token between it
   * and the last one issued (receivers copy one source's messages in order).
   */
  boolean acknowledged(final int dst, final long token) {
    final long v = board.ack(rank, dst);
    return v - token >= 0 && (nextToken[dst] - 1) - v >= 0;
  }

  /** Whether this rank agreed to read {@code src}'s memory (descriptors from it are expected). */
  boolean readsFrom(final int src) {
    return probed[src] == RendezvousBoard.READABLE;
  }

  /**
   * Decides once whether this rank can read {@code src}'s memory, as soon as {@code src} has
   * registered, and tells it through the board. No syscall before registration or after deciding.
   */
  void probe(final int src) {
    if (probed[src] != RendezvousBoard.UNKNOWN) {
      return;
    }
    final int pid = board.pid(src);
    if (pid == 0) {
      return;
    }
    final long got = memory.read(pid, probeScratch.address(), board.probeAddress(src), Long.BYTES);
    final boolean ok =
        got == Long.BYTES && probeScratch.get(ValueLayout.JAVA_LONG, 0) == board.probeValue(src);
    probed[src] = ok ? RendezvousBoard.READABLE : RendezvousBoard.REFUSED;
    board.readable(src, rank, probed[src]);
  }

  /** Copies {@code len} bytes at {@code remoteAddress} of {@code src} to {@code localAddress}. */
  long pull(final int src, final long localAddress, final long remoteAddress, final int len) {
    return memory.read(board.pid(src), localAddress, remoteAddress, len);
  }

  /** Releases {@code src}'s buffer of the message with {@code token}. */
  void acknowledge(final int src, final long token) {
    board.ack(src, rank, token);
  }
}
