package io.seqpar;

/**
 * The one exception root of seqpar. Every failure the runtime raises on purpose is a subclass, so
 * callers can tell a seqpar failure from a bug, and the CLI can map categories to exit codes.
 *
 * <p>The category says how bad it is (as in Aeron's {@code AeronException}): {@link Category#FATAL}
 * stops the process, {@link Category#ERROR} fails the current operation or job, {@link
 * Category#WARN} is reported and survived. Messages name the rank, the operation and the values
 * involved, e.g. {@code "allScan fwd: rank=3 waited 5000 ms for state from rank=2 (epoch=2)"}.
 */
public class SeqparException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** How severe a failure is. */
  public enum Category {
    /** The process cannot continue. */
    FATAL,
    /** The current operation or job failed. */
    ERROR,
    /** Worth reporting; the operation continues. */
    WARN
  }

  private final Category category;

  public SeqparException(final String message) {
    this(Category.ERROR, message, null);
  }

  public SeqparException(final String message, final Throwable cause) {
    this(Category.ERROR, message, cause);
  }

  public SeqparException(final Category category, final String message) {
    this(category, message, null);
  }

  public SeqparException(final Category category, final String message, final Throwable cause) {
    super(category + " - " + message, cause);
    this.category = category;
  }

  /** The severity of this failure. */
  public Category category() {
    return category;
  }

  /** The message without the category prefix, for users. */
  public String reason() {
    final String msg = getMessage();
    final int dash = msg.indexOf(" - ");
    return dash < 0 ? msg : msg.substring(dash + 3);
  }
}
