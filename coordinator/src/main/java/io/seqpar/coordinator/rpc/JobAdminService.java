package io.seqpar.coordinator.rpc;

import io.grpc.stub.StreamObserver;
import io.seqpar.coordinator.job.JobCoordinator;
import io.seqpar.proto.v1.CancelJobRequest;
import io.seqpar.proto.v1.CancelJobResponse;
import io.seqpar.proto.v1.JobAdminGrpc;
import io.seqpar.proto.v1.JobStatus;
import io.seqpar.proto.v1.JobStatusRequest;
import io.seqpar.proto.v1.SubmitJobRequest;
import io.seqpar.proto.v1.SubmitJobResponse;

/** Thin gRPC adapter for the CLI: submit, status, cancel delegate to {@link JobCoordinator}. */
public final class JobAdminService extends JobAdminGrpc.JobAdminImplBase {
  private final JobCoordinator coordinator;

  public JobAdminService(final JobCoordinator coordinator) {
    this.coordinator = coordinator;
  }

  @Override
  public void submit(final SubmitJobRequest req, final StreamObserver<SubmitJobResponse> out) {
    WorkerControlService.unary(
        out,
        () ->
            SubmitJobResponse.newBuilder()
                .setJob(coordinator.submit(req.getJobId(), req.getSpec()))
                .build());
  }

  @Override
  public void status(final JobStatusRequest req, final StreamObserver<JobStatus> out) {
    WorkerControlService.unary(out, () -> coordinator.status(req.getJobId()));
  }

  @Override
  public void cancel(final CancelJobRequest req, final StreamObserver<CancelJobResponse> out) {
    WorkerControlService.unary(
        out,
        () ->
            CancelJobResponse.newBuilder()
                .setState(coordinator.cancel(req.getJobId(), req.getReason()).toProto())
                .build());
  }
}
