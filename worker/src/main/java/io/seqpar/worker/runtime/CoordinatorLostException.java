package io.seqpar.worker.runtime;

import io.seqpar.SeqparException;

/** The worker cannot reach the coordinator, or the coordinator refused it; the worker must stop. */
public final class CoordinatorLostException extends SeqparException {
  private static final long serialVersionUID = 1L;

  public CoordinatorLostException(final String message, final Throwable cause) {
    super(Category.FATAL, message, cause);
  }
}
