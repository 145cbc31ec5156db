package io.seqpar.collectives.exceptions;

/**
 * A peer this rank depends on is gone (its Aeron image became unavailable, its publication lost its
 * subscriber, or its in-memory endpoint was closed). A subclass of {@link
 * CollectiveTimeoutException} because callers handle both the same way: the step failed and the
 * group must be re-formed under a new epoch.
 */
public class PeerLostException extends CollectiveTimeoutException {
  private static final long serialVersionUID = 1L;

  public PeerLostException(final String message) {
    super(message);
  }

  public PeerLostException(final String message, final Throwable cause) {
    super(message, cause);
  }
}
