package io.seqpar.collectives.transport;

import org.agrona.DirectBuffer;

/**
 * Point-to-point frames between the ranks {@code 0..ranks()-1} of one group. The collectives are
 * written once over this interface; {@link InMemoryTransport} and {@link AeronTransport} (IPC or
 * UDP) implement it and pass the same contract tests.
 *
 * <p>Semantics every implementation keeps:
 *
 * <ul>
 *   <li>Frames from one source to one destination arrive in the order they were offered, intact, at
 *       most {@link #maxFrameLength()} bytes each (header included). Bigger messages are cut into
 *       frames by the caller ({@code Communicator}); a transport never reassembles.
 *   <li>{@link #offer} never blocks: {@code false} means back-pressure (the peer has not consumed
 *       enough yet) and the caller polls and retries later. This is what lets a rank send and
 *       receive at once without deadlock.
 *   <li>{@link #poll} reads only frames from one source, and a handler may leave a frame in place
 *       ({@link FrameHandler#ABORT}) to read it again later: frames of a collective this rank has
 *       not started yet wait in the transport rather than in an unbounded buffer of ours.
 *   <li>Neither method allocates.
 * </ul>
 *
 * One thread drives a transport at a time.
 */
public interface Transport extends AutoCloseable {
  /** This endpoint's rank. */
  int rank();

  /** Number of ranks in the group. */
  int ranks();

  /** The largest frame (header plus payload) {@link #offer} accepts. */
  int maxFrameLength();

  /**
   * Tries to send one frame made of {@code header[0, headerLength)} followed by {@code
   * payload[payloadOffset, payloadOffset + payloadLength)} to {@code dstRank}.
   *
   * @return true when the frame was accepted, false on back-pressure or while not yet connected
   * @throws io.seqpar.collectives.exceptions.PeerLostException when the peer is known to be gone
   */
  boolean offer(
      int dstRank,
      DirectBuffer header,
      int headerLength,
      DirectBuffer payload,
      int payloadOffset,
      int payloadLength);

  /**
   * Delivers up to {@code limit} frames received from {@code srcRank} to {@code handler}, stopping
   * at the first one it leaves in place.
   *
   * @return the number of frames consumed
   */
  int poll(int srcRank, FrameHandler handler, int limit);

  /**
   * A doorbell shared by the ranks of this group on this host, to sleep on while waiting for frames
   * instead of parking on a timer; null when the transport has none (UDP, in-memory).
   */
  default Doorbell doorbell() {
    return null;
  }

  /**
   * The board for single-copy messages between ranks of this group on this host ({@link
   * CrossMemory}); null when the transport has none (UDP, or single copy switched off).
   */
  default RendezvousBoard rendezvousBoard() {
    return null;
  }

  /**
   * Memory this rank can share with the ranks of its host, so they load from it without a copy
   * ({@link SharedWindows}); null when the transport has none (UDP, or single copy switched off).
   */
  default SharedWindows sharedWindows() {
    return null;
  }

  /**
   * Whether {@link #groupMemory} can work here: every rank of the group is on this host and maps
   * the same directory. The same answer on every rank of a group.
   */
  default boolean sharesMemory() {
    return false;
  }

  /**
   * Memory every rank of this group on this host maps read-write under {@code name} (zeroes where
   * never written), for collectives that meet in shared memory; null when the transport has none
   * (UDP, in-memory) or it cannot be made. Ranks that pass the same name get the same memory, and
   * it outlives this endpoint's close only while another rank still maps it.
   */
  default java.lang.foreign.MemorySegment groupMemory(final String name, final long bytes) {
    return null;
  }

  /** True once {@code peer} is known to be gone (closed, killed, or its link timed out). */
  boolean isPeerLost(int peer);

  /** Releases this endpoint; peers then see it as lost. */
  @Override
  void close();
}
