package io.seqpar.deploy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code seqpar bench}: micro-benchmarks; see its subcommands. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Micro-benchmarks (nccl-tests-style output).",
    subcommands = {BenchCollectivesCommand.class, BenchSpCommand.class})
public final class BenchCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
