package io.seqpar.deploy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code seqpar k8s}: Kubernetes manifests for a job. */
@Command(
    name = "k8s",
    mixinStandardHelpOptions = true,
    description = "Kubernetes deployment: render the manifests of a job.",
    subcommands = {K8sRenderCommand.class})
public final class K8sCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
