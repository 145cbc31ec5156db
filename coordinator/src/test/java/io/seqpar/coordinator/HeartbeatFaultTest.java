package io.seqpar.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.coordinator.job.JobState;
import io.seqpar.proto.v1.FailureReport;
import io.seqpar.proto.v1.HeartbeatRequest;
import io.seqpar.proto.v1.JobEventType;
import io.seqpar.proto.v1.JobRef;
import io.seqpar.proto.v1.JobSpec;
import io.seqpar.proto.v1.JobStatusRequest;
import io.seqpar.proto.v1.RegisterResponse;
import io.seqpar.proto.v1.WatchEventsRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HeartbeatFaultTest {
  static final int P = 3;
  static final long INTERVAL_MS = 2_000;
  static final long CALL_MS = 30_000;

  private static JobSpec spec() {
    final JobSpec base = TestSpecs.valid(P, 3000);
    return base.toBuilder()
        .setControl(
            base.getControl().toBuilder()
                .setHeartbeatIntervalMs(INTERVAL_MS)
                .setHeartbeatTimeoutMs(2_500))
        .build();
  }

  private static List<RegisterResponse> registerAll(final InProcessCoordinator c) throws Exception {
    try (ExecutorService pool = Executors.newFixedThreadPool(P)) {
      final List<Future<RegisterResponse>> fs = new ArrayList<>();
      for (int r = 0; r < P; r++) {
        final int rank = r;
        fs.add(
            pool.submit(
                () ->
                    c.worker()
                        .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                        .register(RendezvousTest.req("w" + rank, rank))));
      }
      final List<RegisterResponse> out = new ArrayList<>();
      for (final Future<RegisterResponse> f : fs) {
        out.add(f.get(CALL_MS, TimeUnit.MILLISECONDS));
      }
      return out;
    }
  }

  private static List<EventRecorder> watchAll(final InProcessCoordinator c, final JobRef job) {
    final List<EventRecorder> recs = new ArrayList<>();
    for (int r = 0; r < P; r++) {
      final EventRecorder rec = new EventRecorder();
      c.workerAsync()
          .watchEvents(WatchEventsRequest.newBuilder().setJob(job).setRank(r).build(), rec);
      recs.add(rec);
    }
    return recs;
  }

  @Test
  void silentRankAbortsEveryWorkerWithinTwoIntervals() throws Exception {
    try (InProcessCoordinator c = new InProcessCoordinator(spec());
        ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor()) {
      final List<RegisterResponse> regs = registerAll(c);
      // Rank 2 never heartbeats after registering: its deadline runs from rendezvous completion.
      final long stoppedNs = System.nanoTime();
      final JobRef job = regs.get(0).getJob();
      final List<EventRecorder> recs = watchAll(c, job);
      beats.scheduleAtFixedRate(
          () -> {
            for (int r = 0; r < P - 1; r++) {
              try {
                c.worker()
                    .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                    .heartbeat(HeartbeatRequest.newBuilder().setJob(job).setRank(r).build());
              } catch (final RuntimeException ignored) {
                // The job may already be failed; the assertions below decide.
              }
            }
          },
          0,
          250,
          TimeUnit.MILLISECONDS);
      for (int r = 0; r < P; r++) {
        final long at = recs.get(r).abortNanos.get(CALL_MS, TimeUnit.MILLISECONDS);
        final long afterMs = TimeUnit.NANOSECONDS.toMillis(at - stoppedNs);
        assertTrue(
            afterMs <= 2 * INTERVAL_MS,
            "rank " + r + " got abort " + afterMs + " ms after rank 2 went silent");
        assertEquals(JobEventType.JOB_EVENT_ABORT, recs.get(r).terminal.get().getType());
        assertTrue(
            recs.get(r).terminal.get().getReason().contains("rank 2"),
            recs.get(r).terminal.get().getReason());
      }
      assertEquals(JobState.FAILED, c.server.coordinator().state());
      final String reason =
          c.admin()
              .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
              .status(JobStatusRequest.getDefaultInstance())
              .getReason();
      assertTrue(reason.contains("rank 2") && reason.contains("silent"), reason);
      assertTrue(c.server.metrics().scrape().contains("seqpar_rank_up{rank=\"2\"} 0"));
    }
  }

  @Test
  void reportedFailureAbortsEveryWorker() throws Exception {
    try (InProcessCoordinator c = new InProcessCoordinator(spec())) {
      final JobRef job = registerAll(c).get(0).getJob();
      final List<EventRecorder> recs = watchAll(c, job);
      // Wait until every stream is open (each got START) so the abort is pushed, not replayed.
      for (final EventRecorder rec : recs) {
        awaitEvents(rec, 1);
      }
      c.worker()
          .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
          .reportFailure(
              FailureReport.newBuilder()
                  .setJob(job)
                  .setRank(1)
                  .setReason("allScan fwd: NaN in state")
                  .build());
      for (final EventRecorder rec : recs) {
        assertEquals(JobEventType.JOB_EVENT_START, rec.events.get(0).getType());
        final String why = rec.terminal.get(CALL_MS, TimeUnit.MILLISECONDS).getReason();
        assertTrue(why.contains("rank 1 reported failure: allScan fwd: NaN in state"), why);
      }
      assertEquals(JobState.FAILED, c.server.coordinator().state());
      // A heartbeat after the failure tells the worker the job is over.
      assertEquals(
          JobState.FAILED.toProto(),
          c.worker()
              .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
              .heartbeat(HeartbeatRequest.newBuilder().setJob(job).setRank(0).build())
              .getState());
    }
  }

  @Test
  void cancelAbortsWorkersAndReleasesBarriers() throws Exception {
    try (InProcessCoordinator c = new InProcessCoordinator(spec());
        ExecutorService pool = Executors.newSingleThreadExecutor()) {
      final JobRef job = registerAll(c).get(0).getJob();
      final List<EventRecorder> recs = watchAll(c, job);
      for (final EventRecorder rec : recs) {
        awaitEvents(rec, 1);
      }
      // Rank 0 waits at a barrier the others never reach; cancel must release it, not leave it
      // hanging.
      final Future<?> barrier =
          pool.submit(
              () ->
                  c.worker()
                      .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                      .stepBarrier(
                          io.seqpar.proto.v1.StepBarrierRequest.newBuilder()
                              .setJob(job)
                              .setRank(0)
                              .setStep(0)
                              .build()));
      c.admin()
          .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
          .cancel(
              io.seqpar.proto.v1.CancelJobRequest.newBuilder()
                  .setReason("operator request")
                  .build());
      final java.util.concurrent.ExecutionException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              java.util.concurrent.ExecutionException.class,
              () -> barrier.get(CALL_MS, TimeUnit.MILLISECONDS));
      assertEquals(
          io.grpc.Status.Code.CANCELLED, io.grpc.Status.fromThrowable(e.getCause()).getCode());
      for (final EventRecorder rec : recs) {
        final io.seqpar.proto.v1.JobEvent ev = rec.terminal.get(CALL_MS, TimeUnit.MILLISECONDS);
        assertEquals(JobEventType.JOB_EVENT_ABORT, ev.getType());
        assertTrue(ev.getReason().contains("operator request"), ev.getReason());
      }
      assertEquals(JobState.CANCELLED, c.server.coordinator().state());
    }
  }

  @Test
  void barrierDeadlineFailsTheJobNamingMissingRanks() throws Exception {
    final JobSpec base = spec();
    final JobSpec s =
        base.toBuilder()
            .setControl(
                base.getControl().toBuilder()
                    .setBarrierTimeoutMs(500)
                    .setHeartbeatTimeoutMs(60_000))
            .build();
    try (InProcessCoordinator c = new InProcessCoordinator(s)) {
      final JobRef job = registerAll(c).get(0).getJob();
      final io.grpc.StatusRuntimeException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              io.grpc.StatusRuntimeException.class,
              () ->
                  c.worker()
                      .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                      .stepBarrier(
                          io.seqpar.proto.v1.StepBarrierRequest.newBuilder()
                              .setJob(job)
                              .setRank(1)
                              .setStep(4)
                              .build()));
      assertEquals(io.grpc.Status.Code.ABORTED, e.getStatus().getCode());
      assertTrue(
          e.getStatus().getDescription().contains("step barrier 4: ranks [0, 2] did not arrive"),
          e.getStatus().getDescription());
      assertEquals(JobState.FAILED, c.server.coordinator().state());
    }
  }

  static void awaitEvents(final EventRecorder rec, final int n) throws InterruptedException {
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (rec.events.size() < n) {
      assertTrue(System.nanoTime() - deadline < 0, "timed out waiting for " + n + " events");
      TimeUnit.MILLISECONDS.sleep(5); // deadline-bounded poll
    }
  }
}
