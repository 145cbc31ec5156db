package io.seqpar.deploy.cli;

import io.seqpar.InvalidInputException;
import io.seqpar.SeqparException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * The exit-code contract of the CLI: 0 ok, 1 failure, 2 usage error (bad flag or bad input file),
 * 130 interrupted (SIGINT), 143 terminated (SIGTERM).
 */
public final class ExitCodes {
  public static final int OK = CommandLine.ExitCode.OK;
  public static final int FAILURE = CommandLine.ExitCode.SOFTWARE;
  public static final int USAGE = CommandLine.ExitCode.USAGE;
  public static final int INTERRUPTED = 130;
  public static final int TERMINATED = 143;

  private ExitCodes() {}

  /** Maps a failure to its exit code: user input errors are usage errors (2). */
  public static int forException(final Throwable t) {
    if (t instanceof InvalidInputException || t instanceof CommandLine.ParameterException) {
      return USAGE;
    }
    return FAILURE;
  }

  /** Prints a one-line message instead of a stack trace (the trace with SEQPAR_DEBUG=1). */
  static final class Handler implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(
        final Exception e, final CommandLine cl, final ParseResult parsed) {
      final PrintWriter err = cl.getErr();
      final String msg = e instanceof SeqparException se ? se.reason() : String.valueOf(e);
      err.println("seqpar " + cl.getCommandName() + ": error: " + msg);
      if ("1".equals(System.getenv("SEQPAR_DEBUG"))) {
        e.printStackTrace(err);
      }
      err.flush();
      return forException(e);
    }
  }
}
