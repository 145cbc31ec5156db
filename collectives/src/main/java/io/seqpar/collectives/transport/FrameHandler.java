package io.seqpar.collectives.transport;

import org.agrona.DirectBuffer;

/** Receives one frame; returns {@link #CONSUMED} or {@link #ABORT} (leave it for a later poll). */
@FunctionalInterface
public interface FrameHandler {
  /** The frame was used or dropped; move on. */
  int CONSUMED = 0;

  /** Leave the frame where it is and stop this poll; it is delivered again next time. */
  int ABORT = 1;

  int onFrame(DirectBuffer buffer, int offset, int length);
}
