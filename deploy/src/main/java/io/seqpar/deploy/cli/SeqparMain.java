package io.seqpar.deploy.cli;

import picocli.CommandLine;

/** Process entry point of the {@code seqpar} CLI: the only place that calls System.exit. */
public final class SeqparMain {
  private SeqparMain() {}

  public static void main(final String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line (tests call {@code execute} on it directly). */
  public static CommandLine commandLine() {
    final CommandLine cl = new CommandLine(new SeqparCommand());
    cl.setExecutionExceptionHandler(new ExitCodes.Handler());
    cl.setExitCodeExceptionMapper(ExitCodes::forException);
    return cl;
  }
}
