package io.seqpar.coordinator.job;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.seqpar.InvalidInputException;
import io.seqpar.checkpoint.CheckpointStore;
import io.seqpar.coordinator.metrics.CoordinatorMetrics;
import io.seqpar.coordinator.metrics.StepAggregator;
import io.seqpar.coordinator.metrics.StepLine;
import io.seqpar.coordinator.metrics.StepSummary;
import io.seqpar.coordinator.rpc.StatusMapper;
import io.seqpar.proto.v1.CheckpointCommit;
import io.seqpar.proto.v1.CheckpointFile;
import io.seqpar.proto.v1.CheckpointManifest;
import io.seqpar.proto.v1.CheckpointReport;
import io.seqpar.proto.v1.FailureReport;
import io.seqpar.proto.v1.HeartbeatRequest;
import io.seqpar.proto.v1.HeartbeatResponse;
import io.seqpar.proto.v1.JobEvent;
import io.seqpar.proto.v1.JobEventType;
import io.seqpar.proto.v1.JobRef;
import io.seqpar.proto.v1.JobSpec;
import io.seqpar.proto.v1.JobStatus;
import io.seqpar.proto.v1.RankStatus;
import io.seqpar.proto.v1.RegisterRequest;
import io.seqpar.proto.v1.RegisterResponse;
import io.seqpar.proto.v1.StepBarrierRequest;
import io.seqpar.proto.v1.StepBarrierResponse;
import io.seqpar.proto.v1.StepReport;
import io.seqpar.proto.v1.WatchEventsRequest;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The coordinator's state machine for one job at a time (one epoch per submission). Every public
 * method takes the one lock, so the rendezvous, heartbeat deadlines, barriers and event streams
 * never race; blocking RPCs (Register, StepBarrier) park their observers here and are answered from
 * whichever call or timer completes them. Nothing waits without a deadline: rendezvous, barriers
 * and heartbeats each have a timer that fails the job.
 */
public final class JobCoordinator implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(JobCoordinator.class.getName());

  private final ScheduledExecutorService timers;
  private final JobSpecValidator validator;
  private final CoordinatorMetrics metrics;
  private long lastEpoch;
  private Job job;
  private volatile java.util.function.Consumer<String> stepLines;

  public JobCoordinator(
      final ScheduledExecutorService timers,
      final JobSpecValidator validator,
      final CoordinatorMetrics metrics) {
    this.timers = timers;
    this.validator = validator;
    this.metrics = metrics;
  }

  /** Receives one {@link StepLine} per step completed by every rank (e.g. the console). */
  public void stepLines(final java.util.function.Consumer<String> sink) {
    this.stepLines = sink;
  }

  // ---------------------------------------------------------------- admin

  /** Validates {@code spec} and starts a new epoch; the rendezvous deadline starts now. */
  public synchronized JobRef submit(final String jobIdOrEmpty, final JobSpec spec) {
    final JobSpec full = validator.conclude(spec);
    if (job != null && !job.state.isTerminal()) {
      throw new ControlPlaneException(
          Status.Code.ALREADY_EXISTS,
          "JOB_ACTIVE",
          "submit: job '" + job.id + "' (epoch " + job.epoch + ") is still " + job.state.label(),
          Map.of("job_id", job.id, "state", job.state.label()));
    }
    final String id = jobIdOrEmpty.isEmpty() ? full.getName() : jobIdOrEmpty;
    final ResumePoint resume = ResumePoint.find(full);
    job = new Job(id, ++lastEpoch, full);
    job.resume = resume;
    metrics.resetRanks();
    metrics.state(JobState.PENDING);
    LOG.log(
        Level.INFO,
        "job {0} epoch {1}: submitted, world_size={2}, T={3}",
        id,
        Long.toString(job.epoch),
        Integer.toString(full.getParallel().getWorldSize()),
        Long.toString(full.getSeqLen()));
    final Job j = job;
    j.timers.add(
        timers.schedule(
            () -> onRendezvousDeadline(j),
            full.getControl().getRendezvousTimeoutMs(),
            TimeUnit.MILLISECONDS));
    return j.ref();
  }

  /** A snapshot of the job {@code jobIdOrEmpty} (empty = current). */
  public synchronized JobStatus status(final String jobIdOrEmpty) {
    final Job j = current(jobIdOrEmpty, "status");
    final JobStatus.Builder b =
        JobStatus.newBuilder()
            .setJob(j.ref())
            .setState(j.state.toProto())
            .setReason(j.reason)
            .setWorldSize(j.worldSize)
            .setRegistered(j.rendezvous.registered())
            .setLastStep(j.lastCompletedStep);
    if (j.peers != null) {
      final long now = System.nanoTime();
      for (int r = 0; r < j.worldSize; r++) {
        b.addRanks(
            RankStatus.newBuilder()
                .setRank(r)
                .setWorkerId(j.peers.get(r).getWorkerId())
                .setLastStep(j.lastStep[r])
                .setSinceHeartbeatMs(TimeUnit.NANOSECONDS.toMillis(now - j.lastHeartbeatNs[r])));
      }
    }
    return b.build();
  }

  /** Cancels the job; workers receive an ABORT event. Returns the resulting state. */
  public synchronized JobState cancel(final String jobIdOrEmpty, final String reason) {
    final Job j = current(jobIdOrEmpty, "cancel");
    if (!j.state.isTerminal()) {
      end(j, JobState.CANCELLED, "cancelled: " + (reason.isBlank() ? "by admin" : reason));
    }
    return j.state;
  }

  /** The current job's state (for tests and the server's health). */
  public synchronized JobState state() {
    return job == null ? JobState.PENDING : job.state;
  }

  /** The reason of the current job's last transition. */
  public synchronized String reason() {
    return job == null ? "" : job.reason;
  }

  // ---------------------------------------------------------------- worker rpcs

  /** Parks {@code response} until all P workers registered, or answers an error now. */
  public synchronized void register(
      final RegisterRequest req, final StreamObserver<RegisterResponse> response) {
    final Job j = current(req.getJobId(), "register");
    if (j.state.isTerminal()) {
      throw terminal(j, "register from worker '" + req.getWorkerId() + "'");
    }
    final Rendezvous.Completed earlier = j.rendezvous.completed();
    if (earlier != null) {
      for (final io.seqpar.proto.v1.PeerInfo p : earlier.peers()) {
        if (p.getWorkerId().equals(req.getWorkerId())) {
          // The worker's first answer was lost (its deadline passed); answer the retry the same.
          reply(response, registerResponse(j, p.getRank(), earlier));
          return;
        }
      }
    }
    final Rendezvous.Completed done = j.rendezvous.offer(req, response);
    if (j.state == JobState.PENDING) {
      transition(j, JobState.RENDEZVOUS, "first worker '" + req.getWorkerId() + "' registered");
    }
    if (done != null) {
      startRunning(j, done);
    }
  }

  /**
   * Records a heartbeat; answers the job state so workers learn of aborts even without a stream.
   */
  public synchronized HeartbeatResponse heartbeat(final HeartbeatRequest req) {
    final Job j = fenced(req.getJob(), req.getRank(), "heartbeat");
    if (j.peers != null) {
      j.lastHeartbeatNs[req.getRank()] = System.nanoTime();
      metrics.rankUp(req.getRank(), true);
    }
    return HeartbeatResponse.newBuilder().setState(j.state.toProto()).setReason(j.reason).build();
  }

  /** Parks {@code response} until every rank reached {@code req.step}. */
  public synchronized void stepBarrier(
      final StepBarrierRequest req, final StreamObserver<StepBarrierResponse> response) {
    final Job j = fenced(req.getJob(), req.getRank(), "step barrier");
    requireRunning(j, "step barrier " + req.getStep() + " from rank " + req.getRank());
    final Map<Integer, StreamObserver<StepBarrierResponse>> waiting =
        j.barriers.computeIfAbsent(req.getStep(), s -> new TreeMap<>());
    if (waiting.isEmpty()) {
      final long step = req.getStep();
      j.timers.add(
          timers.schedule(
              () -> onBarrierDeadline(j, step),
              j.spec.getControl().getBarrierTimeoutMs(),
              TimeUnit.MILLISECONDS));
    }
    waiting.put(req.getRank(), response);
    if (waiting.size() == j.worldSize) {
      j.barriers.remove(req.getStep());
      final StepBarrierResponse ok =
          StepBarrierResponse.newBuilder().setStep(req.getStep()).build();
      waiting.values().forEach(o -> reply(o, ok));
    }
  }

  /** Adds one rank's step metrics; completes the job after the last step of every rank. */
  public synchronized JobState reportStep(final StepReport report) {
    final Job j = fenced(report.getJob(), report.getRank(), "report step");
    requireRunning(j, "step report " + report.getStep() + " from rank " + report.getRank());
    j.lastStep[report.getRank()] = Math.max(j.lastStep[report.getRank()], report.getStep());
    final StepAggregator agg =
        j.steps.computeIfAbsent(report.getStep(), s -> new StepAggregator(s, j.worldSize));
    agg.add(report);
    if (agg.complete()) {
      j.steps.remove(report.getStep());
      j.lastCompletedStep = Math.max(j.lastCompletedStep, report.getStep());
      final StepSummary summary = agg.summary();
      metrics.step(summary, System.currentTimeMillis());
      final java.util.function.Consumer<String> sink = stepLines;
      if (sink != null) {
        sink.accept(StepLine.format(summary, j.spec.getSteps()));
      }
      if (report.getStep() >= j.spec.getSteps() - 1) {
        end(
            j,
            JobState.COMPLETED,
            "all " + j.worldSize + " ranks finished step " + report.getStep());
      }
    }
    return j.state;
  }

  /**
   * Parks {@code response} until every rank reported its durable files for {@code report.step};
   * then writes the manifest (sha256 of every file) and LATEST, and answers all ranks. A rank that
   * does not report within the barrier timeout fails the job, and no manifest is written.
   */
  public synchronized void commitCheckpoint(
      final CheckpointReport report, final StreamObserver<CheckpointCommit> response) {
    final Job j = fenced(report.getJob(), report.getRank(), "commit checkpoint");
    requireRunning(j, "checkpoint " + report.getStep() + " from rank " + report.getRank());
    if (j.spec.getCheckpoint().getDir().isBlank()) {
      throw new ControlPlaneException(
          Status.Code.FAILED_PRECONDITION,
          "NO_CHECKPOINT_DIR",
          "commit checkpoint from rank " + report.getRank() + ": the job has no checkpoint.dir");
    }
    final Map<Integer, CheckpointReport> reports =
        j.checkpointReports.computeIfAbsent(report.getStep(), s -> new TreeMap<>());
    final Map<Integer, StreamObserver<CheckpointCommit>> waiting =
        j.checkpointWaiters.computeIfAbsent(report.getStep(), s -> new TreeMap<>());
    if (waiting.isEmpty()) {
      final long step = report.getStep();
      if (j.state == JobState.RUNNING) {
        transition(j, JobState.CHECKPOINTING, "checkpoint of step " + step + " started");
      }
      j.timers.add(
          timers.schedule(
              () -> onCheckpointDeadline(j, step),
              j.spec.getControl().getBarrierTimeoutMs(),
              TimeUnit.MILLISECONDS));
    }
    reports.put(report.getRank(), report);
    waiting.put(report.getRank(), response);
    if (waiting.size() < j.worldSize) {
      return;
    }
    j.checkpointReports.remove(report.getStep());
    j.checkpointWaiters.remove(report.getStep());
    final CheckpointManifest.Builder m =
        CheckpointManifest.newBuilder()
            .setJobId(j.id)
            .setStep(report.getStep())
            .setWorldSize(j.worldSize)
            .setCreatedUnixMs(System.currentTimeMillis());
    reports.values().forEach(r -> m.addAllFiles(r.getFilesList()));
    final String manifest;
    try {
      final CheckpointStore store = new CheckpointStore(Path.of(j.spec.getCheckpoint().getDir()));
      for (final CheckpointFile f : m.getFilesList()) {
        final Path p = store.resolve(f.getPath());
        if (!java.nio.file.Files.isRegularFile(p) || java.nio.file.Files.size(p) != f.getBytes()) {
          throw new InvalidInputException(
              "rank "
                  + f.getRank()
                  + " reported "
                  + p
                  + " ("
                  + f.getBytes()
                  + " bytes), "
                  + "but it is missing or has another size");
        }
      }
      manifest = store.commit(m.build());
    } catch (final InvalidInputException | java.io.IOException e) {
      end(j, JobState.FAILED, "checkpoint " + report.getStep() + ": " + e.getMessage());
      return;
    }
    LOG.log(
        Level.INFO,
        "job {0} epoch {1}: checkpoint of step {2} committed ({3} files): {4}",
        j.id,
        Long.toString(j.epoch),
        Long.toString(report.getStep()),
        Integer.toString(m.getFilesCount()),
        manifest);
    if (j.state == JobState.CHECKPOINTING && j.checkpointWaiters.isEmpty()) {
      transition(j, JobState.RUNNING, "checkpoint of step " + report.getStep() + " committed");
    }
    final CheckpointCommit ok =
        CheckpointCommit.newBuilder().setStep(report.getStep()).setManifest(manifest).build();
    waiting.values().forEach(o -> reply(o, ok));
  }

  private synchronized void onCheckpointDeadline(final Job j, final long step) {
    final Map<Integer, StreamObserver<CheckpointCommit>> waiting = j.checkpointWaiters.get(step);
    if (j != job || j.state.isTerminal() || waiting == null) {
      return;
    }
    final List<Integer> missing = absent(waiting.keySet(), j.worldSize);
    end(
        j,
        JobState.FAILED,
        "checkpoint "
            + step
            + ": ranks "
            + missing
            + " did not report their files within "
            + j.spec.getControl().getBarrierTimeoutMs()
            + " ms; nothing was committed");
  }

  /** A rank cannot continue: the whole gang is aborted. */
  public synchronized JobState reportFailure(final FailureReport report) {
    final Job j = fenced(report.getJob(), report.getRank(), "report failure");
    if (!j.state.isTerminal()) {
      end(
          j,
          JobState.FAILED,
          "rank " + report.getRank() + " reported failure: " + report.getReason());
    }
    return j.state;
  }

  /** Adds an event stream; a late subscriber first gets START, or the terminal event and EOF. */
  public synchronized void watch(
      final WatchEventsRequest req, final ServerCallStreamObserver<JobEvent> stream) {
    final Job j = fenced(req.getJob(), req.getRank(), "watch events");
    if (j.state.isTerminal()) {
      EventHub.send(stream, j.finalEvent, true);
      return;
    }
    stream.setOnCancelHandler(() -> removeWatcher(j, stream));
    j.events.add(stream);
    if (j.state == JobState.RUNNING || j.state == JobState.CHECKPOINTING) {
      EventHub.send(stream, event(j, JobEventType.JOB_EVENT_START, "all ranks registered"), false);
    }
  }

  private synchronized void removeWatcher(final Job j, final ServerCallStreamObserver<JobEvent> s) {
    j.events.remove(s);
  }

  // ---------------------------------------------------------------- transitions and timers

  /** The one place a job changes state: checks the move, logs old -> new with the reason. */
  private void transition(final Job j, final JobState to, final String reason) {
    if (!j.state.canMoveTo(to)) {
      throw new IllegalStateException(
          "job "
              + j.id
              + " epoch "
              + j.epoch
              + ": illegal transition "
              + j.state
              + " -> "
              + to
              + " ("
              + reason
              + ")");
    }
    LOG.log(
        Level.INFO,
        "job {0} epoch {1}: {2} -> {3}: {4}",
        j.id,
        Long.toString(j.epoch),
        j.state.label(),
        to.label(),
        reason);
    j.state = to;
    j.reason = reason;
    metrics.state(to);
  }

  private void startRunning(final Job j, final Rendezvous.Completed done) {
    j.peers = done.peers();
    final long now = System.nanoTime();
    java.util.Arrays.fill(j.lastHeartbeatNs, now);
    transition(j, JobState.RUNNING, "all " + j.worldSize + " workers registered");
    for (int r = 0; r < j.worldSize; r++) {
      metrics.rankUp(r, true);
    }
    for (final Rendezvous.Waiter w : done.waiters()) {
      reply(w.observer(), registerResponse(j, w.rank(), done));
    }
    j.events.publish(event(j, JobEventType.JOB_EVENT_START, "all ranks registered"));
    // Check well inside one heartbeat interval so an abort goes out within one interval of the
    // deadline passing.
    final long tickMs = Math.clamp(j.spec.getControl().getHeartbeatIntervalMs() / 10, 10, 250);
    j.timers.add(
        timers.scheduleAtFixedRate(
            () -> checkHeartbeats(j), tickMs, tickMs, TimeUnit.MILLISECONDS));
  }

  private static RegisterResponse registerResponse(
      final Job j, final int rank, final Rendezvous.Completed done) {
    return RegisterResponse.newBuilder()
        .setJob(j.ref())
        .setRank(rank)
        .setWorldSize(j.worldSize)
        .addAllPeers(done.peers())
        .addAllShards(done.shards())
        .setSpec(j.spec)
        .setHeartbeatIntervalMs(j.spec.getControl().getHeartbeatIntervalMs())
        .setHeartbeatTimeoutMs(j.spec.getControl().getHeartbeatTimeoutMs())
        .setStartStep(j.resume.step())
        .setResumeManifest(j.resume.manifest())
        .build();
  }

  private synchronized void checkHeartbeats(final Job j) {
    if (j != job || j.state.isTerminal() || j.peers == null) {
      return;
    }
    final long now = System.nanoTime();
    final long timeoutMs = j.spec.getControl().getHeartbeatTimeoutMs();
    for (int r = 0; r < j.worldSize; r++) {
      final long silentMs = TimeUnit.NANOSECONDS.toMillis(now - j.lastHeartbeatNs[r]);
      if (silentMs > timeoutMs) {
        metrics.rankUp(r, false);
        end(
            j,
            JobState.FAILED,
            "rank "
                + r
                + " (worker '"
                + j.peers.get(r).getWorkerId()
                + "') silent for "
                + silentMs
                + " ms (heartbeat timeout "
                + timeoutMs
                + " ms)");
        return;
      }
    }
  }

  private synchronized void onRendezvousDeadline(final Job j) {
    if (j != job || (j.state != JobState.PENDING && j.state != JobState.RENDEZVOUS)) {
      return;
    }
    final String msg =
        "rendezvous: "
            + j.rendezvous.registered()
            + " of "
            + j.worldSize
            + " workers registered within "
            + j.spec.getControl().getRendezvousTimeoutMs()
            + " ms; missing ranks "
            + j.rendezvous.missingRanks();
    end(j, JobState.FAILED, msg);
  }

  /** The ranks in 0..worldSize-1 that are not in {@code arrived}, ascending. */
  private static List<Integer> absent(final java.util.Set<Integer> arrived, final int worldSize) {
    final List<Integer> missing = new ArrayList<>();
    for (int r = 0; r < worldSize; r++) {
      if (!arrived.contains(r)) {
        missing.add(r);
      }
    }
    return missing;
  }

  private synchronized void onBarrierDeadline(final Job j, final long step) {
    final Map<Integer, StreamObserver<StepBarrierResponse>> waiting = j.barriers.get(step);
    if (j != job || j.state.isTerminal() || waiting == null) {
      return;
    }
    final List<Integer> missing = absent(waiting.keySet(), j.worldSize);
    end(
        j,
        JobState.FAILED,
        "step barrier "
            + step
            + ": ranks "
            + missing
            + " did not arrive within "
            + j.spec.getControl().getBarrierTimeoutMs()
            + " ms");
  }

  /** Moves to a terminal state and releases everything parked: events, barriers, registrations. */
  private void end(final Job j, final JobState to, final String reason) {
    transition(j, to, reason);
    j.timers.forEach(f -> f.cancel(false));
    j.timers.clear();
    final JobEventType type =
        to == JobState.COMPLETED ? JobEventType.JOB_EVENT_SHUTDOWN : JobEventType.JOB_EVENT_ABORT;
    j.finalEvent = event(j, type, reason);
    j.events.publish(j.finalEvent);
    final Status.Code code = to == JobState.CANCELLED ? Status.Code.CANCELLED : Status.Code.ABORTED;
    final ControlPlaneException err =
        new ControlPlaneException(
            code,
            "JOB_" + to.name(),
            "job " + j.id + " epoch " + j.epoch + " " + to.label() + ": " + reason);
    j.barriers.values().forEach(m -> m.values().forEach(o -> fail(o, err)));
    j.barriers.clear();
    j.checkpointWaiters.values().forEach(m -> m.values().forEach(o -> fail(o, err)));
    j.checkpointWaiters.clear();
    j.checkpointReports.clear();
    final ControlPlaneException regErr =
        to == JobState.FAILED && j.peers == null
            ? new ControlPlaneException(
                Status.Code.DEADLINE_EXCEEDED,
                "RENDEZVOUS_TIMEOUT",
                reason,
                Map.of("missing_ranks", j.rendezvous.missingRanks().toString()))
            : err;
    j.rendezvous.failAll(o -> fail(o, regErr));
  }

  // ---------------------------------------------------------------- helpers

  private Job current(final String jobIdOrEmpty, final String op) {
    if (job == null) {
      throw new ControlPlaneException(
          Status.Code.FAILED_PRECONDITION, "NO_JOB", op + ": no job has been submitted");
    }
    if (!jobIdOrEmpty.isEmpty() && !jobIdOrEmpty.equals(job.id)) {
      throw new ControlPlaneException(
          Status.Code.FAILED_PRECONDITION,
          "WRONG_JOB",
          op
              + ": job id '"
              + jobIdOrEmpty
              + "' does not match the coordinator's job '"
              + job.id
              + "'",
          Map.of("request_job_id", jobIdOrEmpty, "current_job_id", job.id));
    }
    return job;
  }

  /** Fences by job id and epoch and checks the rank; the messages name both values. */
  private Job fenced(final JobRef ref, final int rank, final String op) {
    final Job j = current(ref.getJobId(), op);
    if (ref.getEpoch() != j.epoch) {
      throw new ControlPlaneException(
          Status.Code.FAILED_PRECONDITION,
          "STALE_EPOCH",
          op
              + " from rank "
              + rank
              + ": epoch "
              + ref.getEpoch()
              + " does not match current epoch "
              + j.epoch
              + " of job '"
              + j.id
              + "'",
          Map.of(
              "request_epoch",
              Long.toString(ref.getEpoch()),
              "current_epoch",
              Long.toString(j.epoch)));
    }
    if (rank < 0 || rank >= j.worldSize) {
      throw new ControlPlaneException(
          Status.Code.INVALID_ARGUMENT,
          "BAD_RANK",
          op + ": rank " + rank + " is outside 0.." + (j.worldSize - 1));
    }
    return j;
  }

  private static void requireRunning(final Job j, final String op) {
    if (j.state.isTerminal()) {
      throw terminal(j, op);
    }
    if (j.peers == null) {
      throw new ControlPlaneException(
          Status.Code.FAILED_PRECONDITION,
          "NOT_RUNNING",
          op + ": job '" + j.id + "' is still " + j.state.label());
    }
  }

  private static ControlPlaneException terminal(final Job j, final String op) {
    return new ControlPlaneException(
        j.state == JobState.CANCELLED ? Status.Code.CANCELLED : Status.Code.ABORTED,
        "JOB_" + j.state.name(),
        op + ": job '" + j.id + "' epoch " + j.epoch + " is " + j.state.label() + ": " + j.reason,
        Map.of("state", j.state.label()));
  }

  private static JobEvent event(final Job j, final JobEventType type, final String reason) {
    return JobEvent.newBuilder()
        .setJob(j.ref())
        .setType(type)
        .setReason(reason)
        .setTimeUnixMs(System.currentTimeMillis())
        .build();
  }

  private static <T> void reply(final StreamObserver<T> o, final T value) {
    try {
      o.onNext(value);
      o.onCompleted();
    } catch (final RuntimeException e) {
      // The caller cancelled (e.g. its deadline passed); it will retry or time out on its side.
    }
  }

  private static void fail(final StreamObserver<?> o, final ControlPlaneException e) {
    try {
      o.onError(StatusMapper.toStatus(e));
    } catch (final RuntimeException ignored) {
      // The caller already went away.
    }
  }

  @Override
  public synchronized void close() {
    if (job != null && !job.state.isTerminal()) {
      end(job, JobState.CANCELLED, "coordinator shutting down");
    }
  }

  /** Everything about one epoch of one job. */
  private static final class Job {
    final String id;
    final long epoch;
    final JobSpec spec;
    final int worldSize;
    final Rendezvous rendezvous;
    final EventHub events = new EventHub();
    final List<ScheduledFuture<?>> timers = new ArrayList<>();
    final Map<Long, Map<Integer, StreamObserver<StepBarrierResponse>>> barriers = new HashMap<>();
    final Map<Long, StepAggregator> steps = new HashMap<>();
    final Map<Long, Map<Integer, CheckpointReport>> checkpointReports = new HashMap<>();
    final Map<Long, Map<Integer, StreamObserver<CheckpointCommit>>> checkpointWaiters =
        new HashMap<>();
    ResumePoint resume = ResumePoint.FRESH;
    final long[] lastHeartbeatNs;
    final long[] lastStep;
    JobState state = JobState.PENDING;
    String reason = "submitted";
    List<io.seqpar.proto.v1.PeerInfo> peers;
    long lastCompletedStep = -1;
    JobEvent finalEvent;

    Job(final String id, final long epoch, final JobSpec spec) {
      this.id = id;
      this.epoch = epoch;
      this.spec = spec;
      this.worldSize = spec.getParallel().getWorldSize();
      this.rendezvous = new Rendezvous(worldSize, spec.getSeqLen());
      this.lastHeartbeatNs = new long[worldSize];
      this.lastStep = new long[worldSize];
      java.util.Arrays.fill(lastStep, -1);
    }

    JobRef ref() {
      return JobRef.newBuilder().setJobId(id).setEpoch(epoch).build();
    }
  }
}
