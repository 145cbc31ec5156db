package io.seqpar.deploy.cli;

import io.seqpar.InvalidInputException;
import io.seqpar.collectives.transport.CoreBinding;
import io.seqpar.config.SeqparContext;
import io.seqpar.worker.runtime.WorkerRuntime;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code seqpar worker}: one rank of a job. Everything comes from the {@code SEQPAR_*} environment
 * (the same contract in a Kubernetes pod and under {@code seqpar local}), overridden by flags; the
 * job itself (model, data, steps) comes from the coordinator at registration.
 */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = {
      "Run one worker rank: register with the coordinator, connect the Aeron data plane, train.",
      "Exit codes: 0 job completed, 1 this rank failed, 2 bad configuration, 3 job aborted."
    })
public final class WorkerCommand implements Callable<Integer> {
  @Option(names = "--rank", description = "This worker's rank (default: SEQPAR_RANK).")
  Integer rank;

  @Option(names = "--world-size", description = "Number of workers P (default: SEQPAR_WORLD_SIZE).")
  Integer worldSize;

  @Mixin CoordinatorAccess access;

  @Option(
      names = "--transport",
      description = "Data plane: udp (own media driver) or ipc (shared driver in --aeron-dir).")
  String transport;

  @Option(names = "--aeron-dir", description = "Aeron directory (default: SEQPAR_AERON_DIR).")
  String aeronDir;

  @Option(
      names = "--data-host",
      description =
          "Address peers send to, e.g. the pod IP (default: SEQPAR_ENDPOINT_HOST, else 127.0.0.1).")
  String dataHost;

  @Option(
      names = "--data-port",
      description = "UDP data port, 0 = any (default: SEQPAR_DATA_PORT).")
  Integer dataPort;

  @Option(
      names = "--worker-id",
      description = "Stable worker id (default: HOSTNAME-rankN, e.g. the pod name).")
  String workerId;

  @Override
  public Integer call() throws Exception {
    final SeqparContext ctx = EnvSupport.context().role(SeqparContext.Role.WORKER);
    CoreBinding.enabled(EnvSupport.variable(CoreBinding.ENV)); // a bad value is a usage error
    if (rank != null) {
      ctx.rank(rank);
    }
    if (worldSize != null) {
      ctx.worldSize(worldSize);
    }
    access.applyTo(ctx);
    if (transport != null) {
      ctx.transport(transport);
    }
    if (aeronDir != null) {
      ctx.aeronDir(aeronDir);
    }
    if (dataHost != null) {
      ctx.endpointHost(dataHost);
    }
    if (dataPort != null) {
      ctx.dataPort(dataPort);
    }
    ctx.conclude();
    if (ctx.rank() == SeqparContext.NULL_RANK) {
      throw new InvalidInputException(
          "--rank / " + SeqparContext.ENV_RANK + ": unset is not allowed (allowed: 0..P-1)");
    }
    if (ctx.worldSize() < 1) {
      throw new InvalidInputException(
          "--world-size / "
              + SeqparContext.ENV_WORLD_SIZE
              + ": unset is not allowed (allowed: 1..4096)");
    }
    LauncherWatch.start();
    final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    final String id = workerId != null ? workerId : defaultWorkerId(ctx.rank());
    out.println("seqpar worker: rank " + ctx.rank() + " of " + ctx.worldSize() + " (" + id + ")");
    // Step lines come from the coordinator, aggregated over ranks; a rank logs only its events.
    final WorkerRuntime runtime = new WorkerRuntime(ctx, access.credentials(), id, null);
    final int code = runtime.run();
    out.println(
        "seqpar worker: rank "
            + ctx.rank()
            + " exiting with code "
            + code
            + "; peak RSS "
            + peakRssMiB()
            + " MiB");
    return code;
  }

  /** The process's peak resident set (VmHWM: heap, off-heap arenas, Aeron buffers), or -1. */
  static long peakRssMiB() {
    try {
      for (final String l :
          java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (l.startsWith("VmHWM:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (final java.io.IOException | RuntimeException e) {
      // not Linux: unknown
    }
    return -1;
  }

  private static String defaultWorkerId(final int rank) {
    String host = EnvSupport.get("HOSTNAME");
    if (host == null) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (final java.io.IOException e) {
        host = "worker";
      }
    }
    return host + "-rank" + rank + "-" + ProcessHandle.current().pid();
  }
}
