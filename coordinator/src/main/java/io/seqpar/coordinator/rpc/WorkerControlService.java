package io.seqpar.coordinator.rpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.seqpar.coordinator.job.JobCoordinator;
import io.seqpar.proto.v1.CheckpointCommit;
import io.seqpar.proto.v1.CheckpointReport;
import io.seqpar.proto.v1.FailureAck;
import io.seqpar.proto.v1.FailureReport;
import io.seqpar.proto.v1.HeartbeatRequest;
import io.seqpar.proto.v1.HeartbeatResponse;
import io.seqpar.proto.v1.JobEvent;
import io.seqpar.proto.v1.RegisterRequest;
import io.seqpar.proto.v1.RegisterResponse;
import io.seqpar.proto.v1.StepBarrierRequest;
import io.seqpar.proto.v1.StepBarrierResponse;
import io.seqpar.proto.v1.StepReport;
import io.seqpar.proto.v1.StepReportAck;
import io.seqpar.proto.v1.WatchEventsRequest;
import io.seqpar.proto.v1.WorkerControlGrpc;

/** Thin gRPC adapter: every rpc delegates to {@link JobCoordinator}; failures become Status. */
public final class WorkerControlService extends WorkerControlGrpc.WorkerControlImplBase {
  private final JobCoordinator coordinator;

  public WorkerControlService(final JobCoordinator coordinator) {
    this.coordinator = coordinator;
  }

  @Override
  public void register(final RegisterRequest req, final StreamObserver<RegisterResponse> out) {
    try {
      coordinator.register(req, out);
    } catch (final RuntimeException e) {
      out.onError(StatusMapper.toStatus(e));
    }
  }

  @Override
  public void heartbeat(final HeartbeatRequest req, final StreamObserver<HeartbeatResponse> out) {
    unary(out, () -> coordinator.heartbeat(req));
  }

  @Override
  public void stepBarrier(
      final StepBarrierRequest req, final StreamObserver<StepBarrierResponse> out) {
    try {
      coordinator.stepBarrier(req, out);
    } catch (final RuntimeException e) {
      out.onError(StatusMapper.toStatus(e));
    }
  }

  @Override
  public void reportStep(final StepReport req, final StreamObserver<StepReportAck> out) {
    unary(
        out,
        () -> StepReportAck.newBuilder().setState(coordinator.reportStep(req).toProto()).build());
  }

  @Override
  public void reportFailure(final FailureReport req, final StreamObserver<FailureAck> out) {
    unary(
        out,
        () -> FailureAck.newBuilder().setState(coordinator.reportFailure(req).toProto()).build());
  }

  @Override
  public void commitCheckpoint(
      final CheckpointReport req, final StreamObserver<CheckpointCommit> out) {
    try {
      coordinator.commitCheckpoint(req, out);
    } catch (final RuntimeException e) {
      out.onError(StatusMapper.toStatus(e));
    }
  }

  @Override
  public void watchEvents(final WatchEventsRequest req, final StreamObserver<JobEvent> out) {
    try {
      coordinator.watch(req, (ServerCallStreamObserver<JobEvent>) out);
    } catch (final RuntimeException e) {
      out.onError(StatusMapper.toStatus(e));
    }
  }

  static <T> void unary(final StreamObserver<T> out, final java.util.function.Supplier<T> call) {
    final T value;
    try {
      value = call.get();
    } catch (final RuntimeException e) {
      out.onError(StatusMapper.toStatus(e));
      return;
    }
    out.onNext(value);
    out.onCompleted();
  }
}
