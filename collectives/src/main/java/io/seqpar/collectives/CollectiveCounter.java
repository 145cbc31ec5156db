package io.seqpar.collectives;

/**
 * Counters a {@link Communicator} keeps (cumulative, per rank). The data path never logs; it
 * counts. Drops are frames that are legitimately not for us (another job, an old epoch, a
 * collective this rank already finished); rejections are frames that break the protocol.
 */
public enum CollectiveCounter {
  FRAMES_SENT("frames sent"),
  FRAMES_RECEIVED("frames received and used"),
  BYTES_SENT("payload bytes sent"),
  BYTES_RECEIVED("payload bytes received"),
  MESSAGES_SENT("messages sent"),
  MESSAGES_RECEIVED("messages received"),
  BACK_PRESSURE("offers refused by back-pressure"),
  DOORBELL_SLEEPS("waits slept on the doorbell"),
  SINGLE_COPY_SENT("messages sent as a descriptor the receiver copied from"),
  SINGLE_COPY_RECEIVED("messages copied straight from the sender's memory"),
  COMBINE_SENT("messages sent as operands the receiver combined from this rank's shared windows"),
  COMBINE_RECEIVED("messages combined straight out of the sender's shared windows"),
  FAULT_NOTICES_SENT("fault notices sent to peers after a failed collective"),
  FAULT_NOTICES_RECEIVED("fault notices received from peers whose collective failed"),
  DROPPED_FOREIGN_JOB("frames of another job id dropped"),
  DROPPED_STALE_EPOCH("frames of an older epoch dropped"),
  DROPPED_STALE_SEQUENCE("frames of a finished collective dropped"),
  REJECTED_SHORT_FRAME("frames shorter than a header rejected"),
  REJECTED_FUTURE_EPOCH("frames of a newer epoch rejected"),
  REJECTED_RANK("frames with a source rank out of range or not matching the link rejected"),
  REJECTED_LENGTH("frames whose lengths do not fit the frame or the posted buffer rejected"),
  REJECTED_OFFSET("frames out of order within a message rejected"),
  REJECTED_TAG("frames whose tag does not match the posted receive rejected"),
  REJECTED_DESCRIPTOR(
      "descriptor frames that were malformed, unexpected or pointed outside the sender rejected"),
  REJECTED_FAULT_NOTICE("fault notices that were malformed rejected");

  private final String label;

  CollectiveCounter(final String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /** Whether this counter counts a frame that was dropped or rejected. */
  public boolean isDropOrReject() {
    return ordinal() >= DROPPED_FOREIGN_JOB.ordinal();
  }
}
