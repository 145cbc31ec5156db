package io.seqpar.coordinator;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.seqpar.proto.v1.JobAdminGrpc;
import io.seqpar.proto.v1.JobSpec;
import io.seqpar.proto.v1.WorkerControlGrpc;
import io.seqpar.rpc.JobToken;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** A coordinator on an in-process transport plus a token-carrying channel to it. */
public final class InProcessCoordinator implements AutoCloseable {
  public static final String TOKEN = "test-token-s3cret";

  public final CoordinatorServer server;
  public final ManagedChannel channel;
  public final ByteArrayOutputStream stdout = new ByteArrayOutputStream();

  public InProcessCoordinator(final JobSpec job) {
    this(new CoordinatorContext().token(TOKEN).job(job));
  }

  public InProcessCoordinator(final CoordinatorContext ctx) {
    final String name = InProcessServerBuilder.generateName();
    server =
        new CoordinatorServer(InProcessServerBuilder.forName(name), ctx)
            .start(new PrintStream(stdout, true, StandardCharsets.UTF_8));
    channel = InProcessChannelBuilder.forName(name).build();
  }

  /** Worker stub with the token and no deadline (callers add one per call). */
  public WorkerControlGrpc.WorkerControlBlockingStub worker() {
    return WorkerControlGrpc.newBlockingStub(channel).withCallCredentials(JobToken.of(TOKEN));
  }

  public WorkerControlGrpc.WorkerControlStub workerAsync() {
    return WorkerControlGrpc.newStub(channel).withCallCredentials(JobToken.of(TOKEN));
  }

  public JobAdminGrpc.JobAdminBlockingStub admin() {
    return JobAdminGrpc.newBlockingStub(channel).withCallCredentials(JobToken.of(TOKEN));
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.close();
  }
}
