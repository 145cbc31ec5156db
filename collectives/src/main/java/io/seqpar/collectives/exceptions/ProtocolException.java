package io.seqpar.collectives.exceptions;

import io.seqpar.SeqparException;

/**
 * Something read off the wire broke the protocol (a field out of range, a length that does not
 * match the posted receive). On the receive path such frames are dropped and counted rather than
 * thrown; this exception is for callers that ask for a frame to be checked strictly.
 */
public class ProtocolException extends SeqparException {
  private static final long serialVersionUID = 1L;

  public ProtocolException(final String message) {
    super(Category.ERROR, message);
  }
}
