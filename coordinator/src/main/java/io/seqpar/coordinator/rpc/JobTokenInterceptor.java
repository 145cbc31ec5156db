package io.seqpar.coordinator.rpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.seqpar.rpc.JobToken;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;

/**
 * Closes every project call that lacks the job token with UNAUTHENTICATED. gRPC health and server
 * reflection stay open so probes and tools (grpcurl, kubelet) work without the secret. The token is
 * compared in constant time and never logged or echoed.
 */
public final class JobTokenInterceptor implements ServerInterceptor {
  /** Services callable without the token. */
  static final Set<String> OPEN_SERVICES =
      Set.of(
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection");

  private final byte[] expected;

  public JobTokenInterceptor(final String token) {
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException("job token must not be empty");
    }
    this.expected = (JobToken.BEARER + token).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      final ServerCall<ReqT, RespT> call,
      final Metadata headers,
      final ServerCallHandler<ReqT, RespT> next) {
    final String service = call.getMethodDescriptor().getServiceName();
    if (OPEN_SERVICES.contains(service)) {
      return next.startCall(call, headers);
    }
    final String got = headers.get(JobToken.AUTHORIZATION);
    if (got == null || !MessageDigest.isEqual(expected, got.getBytes(StandardCharsets.UTF_8))) {
      call.close(
          Status.UNAUTHENTICATED.withDescription(
              (got == null ? "missing" : "wrong")
                  + " job token for "
                  + call.getMethodDescriptor().getFullMethodName()
                  + " (send 'authorization: Bearer <SEQPAR_TOKEN>')"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
