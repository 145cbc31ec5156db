package io.seqpar.deploy.cli;

import io.seqpar.InvalidInputException;
import io.seqpar.config.SeqparContext;
import io.seqpar.coordinator.CoordinatorContext;
import io.seqpar.coordinator.CoordinatorServer;
import io.seqpar.coordinator.job.JobSpecValidator;
import io.seqpar.coordinator.job.JobState;
import io.seqpar.proto.v1.JobSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code seqpar coordinator}: runs the control plane for one job. Configuration comes from the
 * {@code SEQPAR_*} environment, overridden by flags. With a job it exits when the job ends: 0 if it
 * completed, 1 if it failed or was cancelled.
 */
@Command(
    name = "coordinator",
    mixinStandardHelpOptions = true,
    description = {
      "Run the gRPC coordinator: rendezvous, shard plan, heartbeats, job state, /metrics.",
      "Prints 'listening on port N' and writes --ready-file once serving."
    })
public final class CoordinatorCommand implements Callable<Integer> {
  /** How long one wait for the job's end lasts before checking again. */
  static final long JOB_POLL_MS = 60_000;

  @Mixin JobSpecOptions job;

  @Option(
      names = "--job-id",
      description = "Job id (default: SEQPAR_JOB_ID, else the spec's name).")
  String jobId;

  @Option(
      names = "--port",
      description = "gRPC port; 0 = ephemeral (default: SEQPAR_COORDINATOR_PORT, else 7000).")
  Integer port;

  @Option(
      names = "--ready-file",
      paramLabel = "FILE",
      description = "Write {grpc_port, metrics_port, pid} here (atomically) once serving.")
  Path readyFile;

  @Option(
      names = "--metrics-port",
      description = "HTTP port for /metrics; 0 = ephemeral, -1 = off (default: -1).")
  int metricsPort = CoordinatorContext.METRICS_DISABLED;

  @Option(
      names = "--metrics-jsonl",
      paramLabel = "FILE",
      description = "Append one JSON line per aggregated step.")
  Path metricsJsonl;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description = "Read the job token from a file (default: SEQPAR_TOKEN).")
  Path tokenFile;

  @Option(
      names = "--tls-cert",
      paramLabel = "PEM",
      description = "Server certificate chain; enables TLS.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "Server private key (PKCS#8).")
  Path tlsKey;

  @Option(
      names = "--tls-client-ca",
      paramLabel = "PEM",
      description = "Require client certificates signed by this CA.")
  Path tlsClientCa;

  @Override
  public Integer call() throws Exception {
    final SeqparContext env = EnvSupport.context();
    final SeqparContext concluded = EnvSupport.context().conclude();
    JobSpec spec = job.spec();
    if (spec != null) {
      new JobSpecValidator().conclude(spec); // fail with exit 2 before binding anything
      if (concluded.restartCount() > 0 && !spec.getCheckpoint().getDir().isBlank()) {
        // A launcher restart of the whole group continues from the last committed checkpoint.
        spec =
            spec.toBuilder()
                .setCheckpoint(spec.getCheckpoint().toBuilder().setResume(true))
                .build();
      }
    }
    LauncherWatch.start();
    final Path ready =
        readyFile != null
            ? readyFile
            : (EnvSupport.get(SeqparContext.ENV_READY_FILE) != null
                ? Path.of(EnvSupport.get(SeqparContext.ENV_READY_FILE))
                : null);
    final CoordinatorContext ctx =
        new CoordinatorContext()
            .port(port != null ? port : env.conclude().coordinatorPort())
            .metricsPort(metricsPort)
            .readyFile(ready)
            .metricsJsonl(metricsJsonl)
            .token(token(tokenFile, env))
            .job(spec)
            .jobId(jobId != null ? jobId : env.jobId())
            .tlsCert(tlsCert)
            .tlsKey(tlsKey)
            .tlsClientCa(tlsClientCa)
            .conclude();
    final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    final CoordinatorServer server =
        new CoordinatorServer(CoordinatorServer.nettyBuilder(ctx), ctx);
    final Thread hook = new Thread(server::close, "seqpar-coordinator-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    server.coordinator().stepLines(out::println);
    server.start(out);
    if (spec == null) {
      server.awaitTermination();
      return ExitCodes.OK;
    }
    while (!server.awaitJobTerminal(JOB_POLL_MS)) {
      // The job bounds its own lifetime (rendezvous, heartbeat and barrier deadlines); each wait
      // here is bounded too so an interrupt or shutdown hook is noticed.
    }
    final JobState end = server.coordinator().state();
    out.println("seqpar coordinator: job " + end.label() + ": " + server.coordinator().reason());
    server.close();
    Runtime.getRuntime().removeShutdownHook(hook);
    return end == JobState.COMPLETED ? ExitCodes.OK : ExitCodes.FAILURE;
  }

  /** The token from {@code --token-file}, else {@code SEQPAR_TOKEN}. */
  static String token(final Path tokenFile, final SeqparContext env) {
    if (tokenFile != null) {
      try {
        return Files.readString(tokenFile).strip();
      } catch (final IOException e) {
        throw new InvalidInputException(
            "--token-file: cannot read " + tokenFile + ": " + e.getMessage(), e);
      }
    }
    return env.token();
  }
}
