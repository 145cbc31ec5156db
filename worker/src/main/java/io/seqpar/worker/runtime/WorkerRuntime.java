package io.seqpar.worker.runtime;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.seqpar.SeqparException;
import io.seqpar.checkpoint.CheckpointStore;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.transport.CoreBinding;
import io.seqpar.config.SeqparContext;
import io.seqpar.proto.v1.CheckpointReport;
import io.seqpar.proto.v1.CollectiveTiming;
import io.seqpar.proto.v1.JobSpec;
import io.seqpar.proto.v1.RegisterResponse;
import io.seqpar.proto.v1.ShardRange;
import io.seqpar.proto.v1.StepReport;
import io.seqpar.proto.v1.WorkerCapabilities;
import io.seqpar.rpc.JobToken;
import io.seqpar.worker.train.StepStats;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code seqpar worker}: one rank of a training job, driven by the coordinator's job spec.
 *
 * <pre>
 *   bind the data plane (its endpoint goes into the registration)
 *   register → rank, peers, shard, spec, start step          (bounded retries)
 *   connect to every peer, barrier                           (deadline)
 *   build the session, restore a checkpoint or --init-from
 *   heartbeats + event watch in the background
 *   for each step: train, [checkpoint → commit], report
 *   rank 0 saves --save; the last report completes the job
 *   wait for the job's end, then close the data plane       (deadline)
 * </pre>
 *
 * An ABORT from the coordinator, a lost coordinator, or a failed collective ends the rank: the
 * training thread is interrupted (every collective wait checks it), the failure is reported, and
 * {@link #run} returns a non-zero exit code with the cause in the log.
 */
public final class WorkerRuntime {
  private static final System.Logger LOG = System.getLogger(WorkerRuntime.class.getName());

  /** Exit code when the coordinator aborted the job (another rank failed, or cancel). */
  public static final int EXIT_ABORTED = 3;

  /** Longest wait for every data-plane link to come up after the rendezvous. */
  static final long CONNECT_TIMEOUT_MS = 30_000;

  /** Exit code when this rank failed. */
  public static final int EXIT_FAILED = 1;

  private final SeqparContext ctx;
  private final ChannelCredentials credentials;
  private final String workerId;
  private final StepListener stepListener;
  private volatile String abortReason;
  // Counted down when the coordinator ends the job (completed, failed or cancelled).
  private final CountDownLatch jobEnded = new CountDownLatch(1);
  private volatile Thread trainingThread;

  /** Receives one line per finished step (the CLI prints them). */
  public interface StepListener {
    void onStep(long step, long steps, double loss, double tokensPerSecond, double exposedShare);
  }

  /**
   * @param credentials plaintext or TLS to the coordinator (the job token travels per call)
   */
  public WorkerRuntime(
      final SeqparContext ctx,
      final ChannelCredentials credentials,
      final String workerId,
      final StepListener stepListener) {
    this.ctx = ctx;
    this.credentials = credentials;
    this.workerId = workerId;
    this.stepListener = stepListener;
  }

  /** Runs the job to its end; returns the process exit code (0 only when the job completed). */
  public int run() {
    trainingThread = Thread.currentThread();
    final ManagedChannel channel = CoordinatorConnection.channel(ctx, credentials);
    CoordinatorClient client = null;
    try (DataPlane plane = DataPlane.bind(ctx, 4 << 20)) {
      client =
          new CoordinatorClient(
              channel,
              JobToken.of(ctx.token()),
              CoordinatorClientOptions.defaults(ctx.coordinatorAddr()),
              new CoordinatorClient.Listener() {
                @Override
                public void onAbort(final String reason) {
                  abortReason = reason;
                  jobEnded.countDown();
                  final Thread t = trainingThread;
                  if (t != null) {
                    t.interrupt();
                  }
                }

                @Override
                public void onShutdown(final String reason) {
                  jobEnded.countDown();
                }
              });
      final RegisterResponse reg =
          client.register(
              CoordinatorConnection.registerRequest(
                  ctx, workerId, plane.endpoint(), capabilities()));
      LOG.log(
          Level.INFO,
          "registered as rank {0} of {1} (job {2} epoch {3}), shard [{4}, {5}), endpoint {6}",
          reg.getRank(),
          reg.getWorldSize(),
          reg.getJob().getJobId(),
          Long.toString(reg.getJob().getEpoch()),
          Long.toString(reg.getShards(reg.getRank()).getStartToken()),
          Long.toString(reg.getShards(reg.getRank()).getEndToken()),
          plane.endpoint());
      client.start();
      final JobSpec spec = reg.getSpec();
      // Peers registered moments ago: connecting needs no collective-sized patience.
      final Communicator comm =
          plane.connect(reg, CONNECT_TIMEOUT_MS, spec.getControl().getCollectiveTimeoutMs());
      try {
        train(client, reg, spec, comm);
        awaitJobEnd(reg.getRank(), spec.getControl().getCollectiveTimeoutMs());
      } finally {
        // An abort interrupted this thread to break a collective wait; clear it so the data
        // plane (Aeron client, driver) can close cleanly.
        Thread.interrupted();
      }
      return 0;
    } catch (final RuntimeException e) {
      return fail(client, e);
    } finally {
      if (client != null) {
        client.close();
      }
      channel.shutdownNow();
      try {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      } catch (final InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void train(
      final CoordinatorClient client,
      final RegisterResponse reg,
      final JobSpec spec,
      final Communicator comm) {
    final int rank = reg.getRank();
    final ShardRange shard = reg.getShards(rank);
    final long steps = spec.getSteps();
    final long interval = spec.getCheckpoint().getIntervalSteps();
    final CheckpointStore store =
        spec.getCheckpoint().getDir().isBlank()
            ? null
            : new CheckpointStore(Path.of(spec.getCheckpoint().getDir()));
    try (TrainingSession session = new TrainingSession(spec, rank, shard, comm)) {
      long first = reg.getStartStep();
      if (!reg.getResumeManifest().isEmpty()) {
        session.restore(store, reg.getResumeManifest());
        LOG.log(Level.INFO, "resumed from {0} at step {1}", reg.getResumeManifest(), first);
      }
      if (first == 0 && !spec.getWeights().getDumpGrads().isBlank()) {
        final double loss = session.dumpGradients(0);
        LOG.log(
            Level.INFO,
            "dumped step-0 gradients (loss {0}) to {1}",
            String.format(Locale.ROOT, "%.6f", loss),
            spec.getWeights().getDumpGrads());
      }
      for (long s = first; s < steps; s++) {
        checkAbort("step " + s);
        final long t0 = System.nanoTime();
        final double loss = session.step(s);
        final long stepNs = System.nanoTime() - t0;
        if (store != null && interval > 0 && ((s + 1) % interval == 0 || s + 1 == steps)) {
          final long c0 = System.nanoTime();
          final var files = session.writeCheckpoint(store, s + 1);
          final var commit =
              client.commitCheckpoint(
                  CheckpointReport.newBuilder().setStep(s + 1).addAllFiles(files));
          LOG.log(
              Level.INFO,
              "checkpoint of step {0} committed: {1} ({2} ms)",
              Long.toString(s + 1),
              commit.getManifest(),
              Long.toString(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - c0)));
        }
        if (s + 1 == steps) {
          // Weights land before the last report, which completes the job.
          session.saveFinal();
        }
        final StepReport.Builder report = report(session, s, loss, stepNs);
        client.reportStep(report);
        if (stepListener != null) {
          final double sec = stepNs / 1e9;
          stepListener.onStep(
              s, steps, loss, session.tokensPerStep() / sec, report.getExposedCommSeconds() / sec);
        }
      }
    }
  }

  /**
   * After this rank's last report: waits, at most {@code timeoutMs}, for the coordinator to end the
   * job before the data plane closes. A rank's last collective completes once its own part is done;
   * over UDP its last frames may still be on their way to a slower peer, and closing the embedded
   * driver drops them, so that peer failed its last step with this rank "lost" (seen in CI: a
   * 3-rank local run over UDP, rank 2 waiting 96 ms in its last AllReduce for rank 1, which had
   * exited). The job completes only when every rank has reported its last step, i.e. has received
   * everything.
   */
  private void awaitJobEnd(final int rank, final long timeoutMs) {
    final long waitMs = timeoutMs > 0 ? timeoutMs : 30_000;
    try {
      if (!jobEnded.await(waitMs, TimeUnit.MILLISECONDS)) {
        LOG.log(
            Level.WARNING,
            "rank {0}: the job did not end within {1} ms of this rank''s last step; closing",
            rank,
            Long.toString(waitMs));
      }
    } catch (final InterruptedException e) {
      // Aborted meanwhile: the job is over either way.
    }
  }

  private static StepReport.Builder report(
      final TrainingSession session, final long step, final double loss, final long stepNs) {
    final long[] fwd = session.attentionTotals(true);
    final long[] bwd = session.attentionTotals(false);
    final String algo = session.strategy();
    final StepStats stats = session.lastStepStats();
    final double reduceSec = stats.exposedAllReduceSeconds();
    final long reduceBytes = stats.bytesSent();
    final double exposed = (fwd[1] + bwd[1]) / 1e9 + reduceSec;
    return StepReport.newBuilder()
        .setStep(step)
        .setLoss(loss)
        .setTokens(session.tokensPerStep())
        .setStepSeconds(stepNs / 1e9)
        .addCollectives(
            CollectiveTiming.newBuilder()
                .setCollective("scan_fwd")
                .setAlgorithm(algo)
                .setSeconds(fwd[1] / 1e9)
                .setBytes(fwd[2]))
        .addCollectives(
            CollectiveTiming.newBuilder()
                .setCollective("scan_bwd")
                .setAlgorithm(algo)
                .setSeconds(bwd[1] / 1e9)
                .setBytes(bwd[2]))
        .addCollectives(
            CollectiveTiming.newBuilder()
                .setCollective("allreduce")
                .setAlgorithm(stats.buckets() > 1 ? "ring-bucketed" : "ring")
                .setSeconds(reduceSec)
                .setBytes(reduceBytes))
        .setExposedCommSeconds(exposed)
        .setBytesSent(fwd[2] + bwd[2] + reduceBytes);
  }

  private void checkAbort(final String where) {
    final String r = abortReason;
    if (r != null) {
      throw new JobAbortedException("aborted before " + where + ": " + r);
    }
  }

  private int fail(final CoordinatorClient client, final RuntimeException e) {
    final String reason = abortReason;
    if (reason != null) {
      Thread.interrupted();
      LOG.log(Level.ERROR, "rank {0}: job aborted by the coordinator: {1}", ctx.rank(), reason);
      return EXIT_ABORTED;
    }
    final String msg = describe(e);
    LOG.log(Level.ERROR, "rank " + ctx.rank() + " failed: " + msg, e);
    if (client != null && client.registration() != null) {
      client.reportFailure(msg);
    }
    return e instanceof io.seqpar.InvalidInputException ? 2 : EXIT_FAILED;
  }

  private static String describe(final Throwable e) {
    final String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private static WorkerCapabilities capabilities() {
    return WorkerCapabilities.newBuilder()
        .setCpuCores(CoreBinding.hostCores())
        .setMemoryBytes(Runtime.getRuntime().maxMemory())
        .addTransports("aeron-udp")
        .addTransports("aeron-ipc")
        .build();
  }

  /** The coordinator ended the job while this rank was working. */
  static final class JobAbortedException extends SeqparException {
    JobAbortedException(final String message) {
      super(message);
    }
  }
}
