package io.seqpar.deploy.cli;

/**
 * Entry point of the container images ({@code deploy/docker}): {@code seqpar ARGS}, and with no
 * arguments {@code seqpar $SEQPAR_ROLE} ({@code coordinator} or {@code worker}), so a pod or {@code
 * docker run -e SEQPAR_ROLE=...} needs no command line.
 */
public final class ContainerMain {
  private ContainerMain() {}

  public static void main(final String[] args) {
    System.exit(
        SeqparMain.commandLine()
            .execute(
                containerArgs(args, EnvSupport.variable(io.seqpar.config.SeqparContext.ENV_ROLE))));
  }

  /** {@code args}, or {@code [role]} when there are none and a role is set. */
  public static String[] containerArgs(final String[] args, final String role) {
    if (args.length == 0 && role != null && !role.isBlank()) {
      return new String[] {role.trim()};
    }
    return args;
  }
}
