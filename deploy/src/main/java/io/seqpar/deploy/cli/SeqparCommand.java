package io.seqpar.deploy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The root {@code seqpar} command. It only lists subcommands; each one is a {@code
 * Callable<Integer>} whose return value is the exit code (0 ok, 1 failure, 2 usage error).
 */
@Command(
    name = "seqpar",
    mixinStandardHelpOptions = true,
    versionProvider = SeqparVersion.class,
    description = "Sequence-parallel training runtime for linear-attention models.",
    subcommands = {
      AttentionCommand.class,
      CoordinatorCommand.class,
      WorkerCommand.class,
      LocalCommand.class,
      JobCommand.class,
      BenchCommand.class,
      K8sCommand.class,
      CommandLine.HelpCommand.class
    })
public final class SeqparCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
