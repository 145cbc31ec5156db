package io.seqpar.deploy.cli;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.seqpar.InvalidInputException;
import io.seqpar.SeqparException;
import io.seqpar.config.SeqparContext;
import io.seqpar.coordinator.job.JobSpecParser;
import io.seqpar.coordinator.job.JobSpecValidator;
import io.seqpar.proto.v1.CancelJobRequest;
import io.seqpar.proto.v1.CancelJobResponse;
import io.seqpar.proto.v1.JobAdminGrpc;
import io.seqpar.proto.v1.JobSpec;
import io.seqpar.proto.v1.JobStatus;
import io.seqpar.proto.v1.JobStatusRequest;
import io.seqpar.proto.v1.SubmitJobRequest;
import io.seqpar.proto.v1.SubmitJobResponse;
import io.seqpar.rpc.JobToken;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code seqpar job submit|status|cancel}: the JobAdmin service from the command line. */
@Command(
    name = "job",
    mixinStandardHelpOptions = true,
    description = "Submit, inspect or cancel a job on a running coordinator.",
    subcommands = {JobCommand.Submit.class, JobCommand.StatusCmd.class, JobCommand.Cancel.class})
public final class JobCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Where the coordinator is and how to authenticate; flags override SEQPAR_* variables. */
  public static final class Connection {
    @Mixin CoordinatorAccess access;

    @Option(
        names = "--timeout-ms",
        description = "Deadline of the call (default: ${DEFAULT-VALUE}).",
        defaultValue = "10000")
    long timeoutMs;

    <T> T call(final java.util.function.Function<JobAdminGrpc.JobAdminBlockingStub, T> rpc) {
      final SeqparContext env = access.applyTo(EnvSupport.context()).conclude();
      final String host = env.coordinatorAddr();
      final int port = env.coordinatorPort();
      final String token = env.token();
      if (token == null || token.isEmpty()) {
        throw new InvalidInputException(
            "--token-file/SEQPAR_TOKEN: empty is not allowed (allowed: the job token)");
      }
      final ManagedChannel ch =
          Grpc.newChannelBuilderForAddress(host, port, access.credentials()).build();
      try {
        return rpc.apply(
            JobAdminGrpc.newBlockingStub(ch)
                .withCallCredentials(JobToken.of(token))
                .withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS));
      } catch (final StatusRuntimeException e) {
        throw new SeqparException(
            "coordinator "
                + host
                + ":"
                + port
                + ": "
                + e.getStatus().getCode()
                + ": "
                + e.getStatus().getDescription(),
            e);
      } finally {
        ch.shutdownNow();
      }
    }
  }

  /** {@code seqpar job submit}. */
  @Command(
      name = "submit",
      mixinStandardHelpOptions = true,
      description = "Validate a job spec and submit it.")
  static final class Submit implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin JobSpecOptions job;
    @Mixin Connection connection;

    @Option(names = "--job-id", description = "Job id (default: the spec's name).")
    String jobId = "";

    @Option(
        names = "--dry-run",
        description = "Only validate the spec and print it with defaults filled in.")
    boolean dryRun;

    @Override
    public Integer call() {
      final JobSpec parsed = job.spec();
      if (parsed == null) {
        throw new InvalidInputException("submit: one of --job or --job-json is required");
      }
      final JobSpec full = new JobSpecValidator().conclude(parsed);
      final PrintWriter out = spec.commandLine().getOut();
      if (dryRun) {
        out.println(JobSpecParser.toJson(full));
        return ExitCodes.OK;
      }
      final SubmitJobResponse r =
          connection.call(
              s -> s.submit(SubmitJobRequest.newBuilder().setJobId(jobId).setSpec(parsed).build()));
      out.println("submitted job " + r.getJob().getJobId() + " epoch " + r.getJob().getEpoch());
      return ExitCodes.OK;
    }
  }

  /** {@code seqpar job status}. */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Print the state of a job.")
  static final class StatusCmd implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Connection connection;

    @Option(names = "--job-id", description = "Job id (default: the coordinator's job).")
    String jobId = "";

    @Override
    public Integer call() {
      final JobStatus s =
          connection.call(st -> st.status(JobStatusRequest.newBuilder().setJobId(jobId).build()));
      final PrintWriter out = spec.commandLine().getOut();
      out.printf(
          "job %s epoch %d: %s (%s); registered %d/%d; last step %d%n",
          s.getJob().getJobId(),
          s.getJob().getEpoch(),
          stateLabel(s.getState().name()),
          s.getReason(),
          s.getRegistered(),
          s.getWorldSize(),
          s.getLastStep());
      s.getRanksList()
          .forEach(
              r ->
                  out.printf(
                      "  rank %d %s: last step %d, heartbeat %d ms ago%n",
                      r.getRank(), r.getWorkerId(), r.getLastStep(), r.getSinceHeartbeatMs()));
      return ExitCodes.OK;
    }
  }

  /** {@code seqpar job cancel}. */
  @Command(
      name = "cancel",
      mixinStandardHelpOptions = true,
      description = "Cancel a job; its workers abort.")
  static final class Cancel implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Connection connection;

    @Option(names = "--job-id", description = "Job id (default: the coordinator's job).")
    String jobId = "";

    @Option(names = "--reason", description = "Recorded in the job state and sent to workers.")
    String reason = "";

    @Override
    public Integer call() {
      final CancelJobResponse r =
          connection.call(
              s ->
                  s.cancel(
                      CancelJobRequest.newBuilder().setJobId(jobId).setReason(reason).build()));
      spec.commandLine().getOut().println("job state: " + stateLabel(r.getState().name()));
      return ExitCodes.OK;
    }
  }

  static String stateLabel(final String protoName) {
    return protoName.replace("JOB_STATE_", "").toLowerCase(java.util.Locale.ROOT);
  }
}
