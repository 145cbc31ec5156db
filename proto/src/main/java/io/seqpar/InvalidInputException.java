package io.seqpar;

/**
 * Input supplied by a user (a file, a flag, a config value) is unusable. The message names the
 * input, the value found and what is allowed. The CLI maps it to exit code 2 (usage error).
 */
public class InvalidInputException extends SeqparException {
  private static final long serialVersionUID = 1L;

  public InvalidInputException(final String message) {
    super(Category.ERROR, message);
  }

  public InvalidInputException(final String message, final Throwable cause) {
    super(Category.ERROR, message, cause);
  }
}
