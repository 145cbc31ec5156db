package io.seqpar.worker.runtime;

import io.grpc.CallCredentials;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.seqpar.proto.v1.CheckpointCommit;
import io.seqpar.proto.v1.CheckpointReport;
import io.seqpar.proto.v1.FailureReport;
import io.seqpar.proto.v1.HeartbeatRequest;
import io.seqpar.proto.v1.HeartbeatResponse;
import io.seqpar.proto.v1.JobEvent;
import io.seqpar.proto.v1.JobEventType;
import io.seqpar.proto.v1.JobStateProto;
import io.seqpar.proto.v1.RegisterRequest;
import io.seqpar.proto.v1.RegisterResponse;
import io.seqpar.proto.v1.StepBarrierRequest;
import io.seqpar.proto.v1.StepReport;
import io.seqpar.proto.v1.StepReportAck;
import io.seqpar.proto.v1.WatchEventsRequest;
import io.seqpar.proto.v1.WorkerControlGrpc;
import java.lang.System.Logger.Level;
import java.net.UnknownHostException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The worker's side of the control plane. Takes a {@link Channel} (the caller owns and closes it);
 * every call has a deadline. {@link #register} retries with exponential backoff for a bounded time,
 * checking the coordinator's DNS name before each try, since pods often start before DNS resolves.
 * {@link #start} runs a heartbeat loop and an event watcher; the {@link Listener} is told once to
 * abort when an ABORT event arrives, a heartbeat reports a failed job, or the coordinator stayed
 * unreachable past its deadline. Nothing here waits without a deadline.
 */
public final class CoordinatorClient implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(CoordinatorClient.class.getName());

  /** What the worker runtime does when the job ends. */
  public interface Listener {
    /**
     * Stop now: the job failed or was cancelled, or the coordinator is gone. Called at most once.
     */
    void onAbort(String reason);

    /** The job completed; exit cleanly. */
    default void onShutdown(final String reason) {}
  }

  private final Channel channel;
  private final WorkerControlGrpc.WorkerControlBlockingStub blocking;
  private final WorkerControlGrpc.WorkerControlStub async;
  private final CoordinatorClientOptions options;
  private final Listener listener;
  private final ScheduledExecutorService loop;
  private final AtomicBoolean ended = new AtomicBoolean();
  private final AtomicLong lastContactNs = new AtomicLong(System.nanoTime());
  private final AtomicLong lastStep = new AtomicLong(-1);
  private volatile RegisterResponse registration;
  private volatile String endReason;
  private volatile boolean closed;

  public CoordinatorClient(
      final Channel channel,
      final CallCredentials token,
      final CoordinatorClientOptions options,
      final Listener listener) {
    this.channel = channel;
    this.blocking = WorkerControlGrpc.newBlockingStub(channel).withCallCredentials(token);
    this.async = WorkerControlGrpc.newStub(channel).withCallCredentials(token);
    this.options = options.validate();
    this.listener = listener;
    this.loop =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("seqpar-coordinator-client").factory());
  }

  /**
   * Registers and waits for the rendezvous. Retries on UNAVAILABLE, on a client-side deadline and
   * on unresolvable DNS with backoff until {@code registerTimeoutMs}; a refusal by the coordinator
   * (duplicate rank, full gang, rendezvous timeout) is not retried.
   */
  public RegisterResponse register(final RegisterRequest request) {
    final long deadlineNs =
        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.registerTimeoutMs());
    long backoffMs = options.initialBackoffMs();
    Throwable last = null;
    for (int attempt = 1; ; attempt++) {
      final long leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
      if (leftMs <= 0) {
        throw new CoordinatorLostException(
            "register: worker '"
                + request.getWorkerId()
                + "' gave up after "
                + (attempt - 1)
                + " attempts in "
                + options.registerTimeoutMs()
                + " ms; last error: "
                + describe(last),
            last);
      }
      try {
        resolveCoordinator();
        final RegisterResponse r =
            blocking
                .withDeadlineAfter(
                    Math.min(leftMs, options.registerAttemptTimeoutMs()), TimeUnit.MILLISECONDS)
                .register(request);
        registration = r;
        lastContactNs.set(System.nanoTime());
        return r;
      } catch (final UnknownHostException e) {
        last = e;
      } catch (final StatusRuntimeException e) {
        if (!retryable(e)) {
          throw new CoordinatorLostException(
              "register: worker '" + request.getWorkerId() + "' refused: " + describe(e), e);
        }
        last = e;
      }
      LOG.log(
          Level.INFO,
          "register attempt {0} failed ({1}); retrying in {2} ms",
          attempt,
          describe(last),
          backoffMs);
      if (channel instanceof ManagedChannel mc) {
        // Reconnect now instead of after gRPC's own backoff; a new connection re-resolves the name.
        mc.resetConnectBackoff();
      }
      sleepMs(
          Math.min(
              backoffMs,
              Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime()))));
      backoffMs = Math.min(backoffMs * 2, options.maxBackoffMs());
    }
  }

  private void resolveCoordinator() throws UnknownHostException {
    if (options.coordinatorHost() != null) {
      options.resolver().resolve(options.coordinatorHost());
    }
  }

  /**
   * Only transport failures are retried; an answer carrying ErrorInfo is the coordinator's verdict.
   */
  private static boolean retryable(final StatusRuntimeException e) {
    final Status.Code code = e.getStatus().getCode();
    if (code == Status.Code.UNAVAILABLE) {
      return true;
    }
    if (code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.ABORTED) {
      final com.google.rpc.Status details = StatusProto.fromThrowable(e);
      return details == null || details.getDetailsCount() == 0;
    }
    return false;
  }

  /** Starts heartbeats and the event watcher; call after {@link #register}. */
  public void start() {
    final RegisterResponse r = requireRegistered();
    final long intervalMs = r.getHeartbeatIntervalMs();
    loop.scheduleWithFixedDelay(this::heartbeatOnce, 0, intervalMs, TimeUnit.MILLISECONDS);
    watch();
  }

  private long lostTimeoutMs() {
    return options.coordinatorLostTimeoutMs() > 0
        ? options.coordinatorLostTimeoutMs()
        : requireRegistered().getHeartbeatTimeoutMs();
  }

  private void heartbeatOnce() {
    if (ended.get() || closed) {
      return;
    }
    final RegisterResponse r = registration;
    try {
      final HeartbeatResponse resp =
          blocking
              .withDeadlineAfter(
                  Math.min(options.callTimeoutMs(), r.getHeartbeatIntervalMs()),
                  TimeUnit.MILLISECONDS)
              .heartbeat(
                  HeartbeatRequest.newBuilder()
                      .setJob(r.getJob())
                      .setRank(r.getRank())
                      .setStep(lastStep.get())
                      .build());
      lastContactNs.set(System.nanoTime());
      if (resp.getState() == JobStateProto.JOB_STATE_FAILED
          || resp.getState() == JobStateProto.JOB_STATE_CANCELLED) {
        abort("job " + r.getJob().getJobId() + " is " + resp.getState() + ": " + resp.getReason());
      } else if (resp.getState() == JobStateProto.JOB_STATE_COMPLETED) {
        shutdown("job completed");
      }
    } catch (final StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION) {
        abort("rank " + r.getRank() + " fenced by the coordinator: " + describe(e));
        return;
      }
      final long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastContactNs.get());
      if (silentMs > lostTimeoutMs()) {
        abort(
            "rank "
                + r.getRank()
                + ": coordinator unreachable for "
                + silentMs
                + " ms (deadline "
                + lostTimeoutMs()
                + " ms); last error: "
                + describe(e));
      }
    } catch (final RuntimeException e) {
      abort("rank " + r.getRank() + ": heartbeat failed unexpectedly: " + e);
    }
  }

  private void watch() {
    if (ended.get() || closed) {
      return;
    }
    final RegisterResponse r = registration;
    async.watchEvents(
        WatchEventsRequest.newBuilder().setJob(r.getJob()).setRank(r.getRank()).build(),
        new StreamObserver<>() {
          @Override
          public void onNext(final JobEvent e) {
            lastContactNs.set(System.nanoTime());
            if (e.getType() == JobEventType.JOB_EVENT_ABORT) {
              abort(e.getReason());
            } else if (e.getType() == JobEventType.JOB_EVENT_SHUTDOWN) {
              shutdown(e.getReason());
            }
          }

          @Override
          public void onError(final Throwable t) {
            rewatchLater();
          }

          @Override
          public void onCompleted() {
            rewatchLater();
          }
        });
  }

  /**
   * The stream broke (coordinator restarting or gone): reopen it; the heartbeat loop owns the
   * deadline.
   */
  private void rewatchLater() {
    if (!ended.get() && !closed) {
      try {
        loop.schedule(
            this::watch,
            Math.max(100, registration.getHeartbeatIntervalMs() / 2),
            TimeUnit.MILLISECONDS);
      } catch (final java.util.concurrent.RejectedExecutionException e) {
        // Closed concurrently.
      }
    }
  }

  /**
   * Waits until every rank reached {@code step}; throws if the job ends first or the deadline
   * passes.
   */
  public void stepBarrier(final long step) {
    final RegisterResponse r = requireRegistered();
    try {
      blocking
          .withDeadlineAfter(options.barrierTimeoutMs(), TimeUnit.MILLISECONDS)
          .stepBarrier(
              StepBarrierRequest.newBuilder()
                  .setJob(r.getJob())
                  .setRank(r.getRank())
                  .setStep(step)
                  .build());
      lastContactNs.set(System.nanoTime());
    } catch (final StatusRuntimeException e) {
      throw new CoordinatorLostException(
          "step barrier " + step + ": rank " + r.getRank() + ": " + describe(e), e);
    }
  }

  /** Sends this rank's metrics for a finished step (job and rank are filled in). */
  public StepReportAck reportStep(final StepReport.Builder report) {
    final RegisterResponse r = requireRegistered();
    final StepReport msg = report.setJob(r.getJob()).setRank(r.getRank()).build();
    try {
      final StepReportAck ack =
          blocking
              .withDeadlineAfter(options.callTimeoutMs(), TimeUnit.MILLISECONDS)
              .reportStep(msg);
      lastStep.accumulateAndGet(msg.getStep(), Math::max);
      lastContactNs.set(System.nanoTime());
      return ack;
    } catch (final StatusRuntimeException e) {
      throw new CoordinatorLostException(
          "report step " + msg.getStep() + ": rank " + r.getRank() + ": " + describe(e), e);
    }
  }

  /**
   * Reports this rank's durable checkpoint files and waits until the coordinator committed the
   * manifest (every rank reported); throws if the job ends first or the deadline passes.
   */
  public CheckpointCommit commitCheckpoint(final CheckpointReport.Builder report) {
    final RegisterResponse r = requireRegistered();
    final CheckpointReport msg = report.setJob(r.getJob()).setRank(r.getRank()).build();
    try {
      final CheckpointCommit c =
          blocking
              .withDeadlineAfter(options.barrierTimeoutMs(), TimeUnit.MILLISECONDS)
              .commitCheckpoint(msg);
      lastContactNs.set(System.nanoTime());
      return c;
    } catch (final StatusRuntimeException e) {
      throw new CoordinatorLostException(
          "commit checkpoint " + msg.getStep() + ": rank " + r.getRank() + ": " + describe(e), e);
    }
  }

  /** Tells the coordinator this rank cannot continue (best effort: the deadline bounds it). */
  public void reportFailure(final String reason) {
    final RegisterResponse r = requireRegistered();
    try {
      blocking
          .withDeadlineAfter(options.callTimeoutMs(), TimeUnit.MILLISECONDS)
          .reportFailure(
              FailureReport.newBuilder()
                  .setJob(r.getJob())
                  .setRank(r.getRank())
                  .setReason(reason)
                  .build());
    } catch (final StatusRuntimeException e) {
      LOG.log(Level.WARNING, "rank {0}: could not report failure ({1})", r.getRank(), describe(e));
    }
  }

  /** The registration, or null before {@link #register} returned. */
  public RegisterResponse registration() {
    return registration;
  }

  /** Why the job ended for this worker, or null while it runs. */
  public String endReason() {
    return endReason;
  }

  private RegisterResponse requireRegistered() {
    final RegisterResponse r = registration;
    if (r == null) {
      throw new IllegalStateException("coordinator client: register() has not succeeded yet");
    }
    return r;
  }

  private void abort(final String reason) {
    if (ended.compareAndSet(false, true)) {
      endReason = reason;
      LOG.log(Level.WARNING, "aborting: {0}", reason);
      listener.onAbort(reason);
    }
  }

  private void shutdown(final String reason) {
    if (ended.compareAndSet(false, true)) {
      endReason = reason;
      listener.onShutdown(reason);
    }
  }

  private static String describe(final Throwable t) {
    if (t == null) {
      return "none";
    }
    if (t instanceof StatusRuntimeException e) {
      return e.getStatus().getCode() + ": " + e.getStatus().getDescription();
    }
    return t.toString();
  }

  private static void sleepMs(final long ms) {
    try {
      TimeUnit.MILLISECONDS.sleep(
          ms); // backoff between registration attempts, bounded by the deadline
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CoordinatorLostException("register: interrupted during backoff", e);
    }
  }

  /** Stops heartbeats and the watcher; the channel stays open (its owner closes it). */
  @Override
  public void close() {
    closed = true;
    loop.shutdownNow();
  }
}
