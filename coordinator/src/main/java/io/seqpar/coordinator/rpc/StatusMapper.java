package io.seqpar.coordinator.rpc;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.seqpar.coordinator.job.ControlPlaneException;
import io.seqpar.coordinator.job.InvalidJobSpecException;
import io.seqpar.coordinator.job.JobSpecViolation;

/**
 * Turns seqpar failures into gRPC statuses with {@code google.rpc.ErrorInfo} (and {@code
 * BadRequest} field violations for bad specs). Java exceptions never cross the wire.
 */
public final class StatusMapper {
  /** ErrorInfo domain of every seqpar error. */
  public static final String DOMAIN = "seqpar.io";

  private StatusMapper() {}

  /** The status for {@code t}; unexpected exceptions become INTERNAL without their stack. */
  public static StatusRuntimeException toStatus(final Throwable t) {
    if (t instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (t instanceof ControlPlaneException e) {
      final ErrorInfo info =
          ErrorInfo.newBuilder()
              .setReason(e.errorReason())
              .setDomain(DOMAIN)
              .putAllMetadata(e.metadata())
              .build();
      return build(e.code(), e.reason(), Any.pack(info));
    }
    if (t instanceof InvalidJobSpecException e) {
      final BadRequest.Builder bad = BadRequest.newBuilder();
      for (final JobSpecViolation v : e.violations()) {
        bad.addFieldViolationsBuilder().setField(v.field()).setDescription(v.message());
      }
      final ErrorInfo info =
          ErrorInfo.newBuilder()
              .setReason("INVALID_JOB_SPEC")
              .setDomain(DOMAIN)
              .putMetadata("violations", Integer.toString(e.violations().size()))
              .build();
      return build(Status.Code.INVALID_ARGUMENT, e.reason(), Any.pack(info), Any.pack(bad.build()));
    }
    return Status.INTERNAL.withDescription("coordinator error: " + t).asRuntimeException();
  }

  private static StatusRuntimeException build(
      final Status.Code code, final String message, final Any... details) {
    final com.google.rpc.Status.Builder s =
        com.google.rpc.Status.newBuilder().setCode(code.value()).setMessage(message);
    for (final Any d : details) {
      s.addDetails(d);
    }
    return StatusProto.toStatusRuntimeException(s.build());
  }
}
