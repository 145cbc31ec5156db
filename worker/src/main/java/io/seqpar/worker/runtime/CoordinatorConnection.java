package io.seqpar.worker.runtime;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.seqpar.config.SeqparContext;
import io.seqpar.proto.v1.RegisterRequest;
import io.seqpar.proto.v1.RequestedRank;
import io.seqpar.proto.v1.WorkerCapabilities;
import java.util.concurrent.TimeUnit;

/** Builds the worker's channel and registration from the concluded {@code SEQPAR_*} context. */
public final class CoordinatorConnection {
  /** Keepalive ping period: notices a dead coordinator host even when no call is in flight. */
  static final long KEEPALIVE_MS = 10_000;

  private CoordinatorConnection() {}

  /**
   * A channel to {@code dns:///addr:port}. The DNS resolver runs again on every reconnect, and the
   * client's registration loop checks the name before each attempt, so a pod that starts before the
   * coordinator's A record exists recovers once it appears.
   */
  public static ManagedChannel channel(
      final SeqparContext ctx, final ChannelCredentials credentials) {
    return Grpc.newChannelBuilder(
            "dns:///" + ctx.coordinatorAddr() + ":" + ctx.coordinatorPort(), credentials)
        .keepAliveTime(KEEPALIVE_MS, TimeUnit.MILLISECONDS)
        .keepAliveTimeout(KEEPALIVE_MS, TimeUnit.MILLISECONDS)
        .build();
  }

  /** A registration carrying the requested rank from {@code SEQPAR_RANK} (if set). */
  public static RegisterRequest registerRequest(
      final SeqparContext ctx,
      final String workerId,
      final String dataEndpoint,
      final WorkerCapabilities caps) {
    final RegisterRequest.Builder b =
        RegisterRequest.newBuilder()
            .setJobId(ctx.jobId())
            .setWorkerId(workerId)
            .setDataEndpoint(dataEndpoint)
            .setCapabilities(caps);
    if (ctx.rank() != SeqparContext.NULL_RANK) {
      b.setRequestedRank(RequestedRank.newBuilder().setRank(ctx.rank()));
    }
    return b.build();
  }
}
