package io.seqpar.deploy.cli;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import io.seqpar.InvalidInputException;
import io.seqpar.config.SeqparContext;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where the coordinator is and how to reach it, for every command that calls it ({@code seqpar
 * job}, {@code seqpar worker}): flags override the {@code SEQPAR_*} variables of the context.
 */
public final class CoordinatorAccess {
  @Option(
      names = "--coordinator",
      paramLabel = "HOST:PORT",
      description =
          "Coordinator address (default: SEQPAR_COORDINATOR_ADDR:SEQPAR_COORDINATOR_PORT, else localhost:7000).")
  String coordinator;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description = "Read the job token from a file (default: SEQPAR_TOKEN).")
  Path tokenFile;

  @Option(
      names = "--tls-ca",
      paramLabel = "PEM",
      description = "Use TLS, trusting this CA / self-signed certificate.")
  Path tlsCa;

  /** Sets the coordinator address, port and token given by flags on {@code ctx}; returns it. */
  SeqparContext applyTo(final SeqparContext ctx) {
    if (coordinator != null) {
      final int colon = coordinator.lastIndexOf(':');
      if (colon <= 0) {
        throw new InvalidInputException(
            "--coordinator: '" + coordinator + "' is not allowed (allowed: HOST:PORT)");
      }
      ctx.coordinatorAddr(coordinator.substring(0, colon));
      try {
        ctx.coordinatorPort(Integer.parseInt(coordinator.substring(colon + 1)));
      } catch (final NumberFormatException e) {
        throw new InvalidInputException(
            "--coordinator: port in '" + coordinator + "' is not a number");
      }
    }
    if (tokenFile != null) {
      ctx.token(CoordinatorCommand.token(tokenFile, ctx));
    }
    return ctx;
  }

  /** Plaintext, or TLS trusting {@code --tls-ca}. */
  ChannelCredentials credentials() {
    if (tlsCa == null) {
      return InsecureChannelCredentials.create();
    }
    try {
      return TlsChannelCredentials.newBuilder().trustManager(tlsCa.toFile()).build();
    } catch (final IOException e) {
      throw new InvalidInputException("--tls-ca: cannot read " + tlsCa + ": " + e.getMessage(), e);
    }
  }
}
