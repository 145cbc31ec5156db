package io.seqpar.collectives.exceptions;

import io.seqpar.SeqparException;

/**
 * A collective did not finish before its deadline. The message names the operation, the rank this
 * rank was waiting on, the elapsed time and the epoch, e.g. {@code "allscan fwd: rank=3 waited 5000
 * ms for a message from rank=2 (seq=17 epoch=2)"}.
 */
public class CollectiveTimeoutException extends SeqparException {
  private static final long serialVersionUID = 1L;

  public CollectiveTimeoutException(final String message) {
    super(Category.ERROR, message);
  }

  public CollectiveTimeoutException(final String message, final Throwable cause) {
    super(Category.ERROR, message, cause);
  }
}
