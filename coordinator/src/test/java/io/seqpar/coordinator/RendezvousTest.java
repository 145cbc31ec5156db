package io.seqpar.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.seqpar.coordinator.job.JobState;
import io.seqpar.proto.v1.HeartbeatRequest;
import io.seqpar.proto.v1.JobRef;
import io.seqpar.proto.v1.JobSpec;
import io.seqpar.proto.v1.JobStatus;
import io.seqpar.proto.v1.JobStatusRequest;
import io.seqpar.proto.v1.RegisterRequest;
import io.seqpar.proto.v1.RegisterResponse;
import io.seqpar.proto.v1.RequestedRank;
import io.seqpar.proto.v1.ShardRange;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RendezvousTest {
  static final long CALL_MS = 30_000;

  static RegisterRequest req(final String worker, final int requestedRank) {
    final RegisterRequest.Builder b =
        RegisterRequest.newBuilder()
            .setWorkerId(worker)
            .setDataEndpoint("10.0.0.1:" + (40000 + worker.hashCode() % 1000));
    if (requestedRank >= 0) {
      b.setRequestedRank(RequestedRank.newBuilder().setRank(requestedRank));
    }
    return b.build();
  }

  @ParameterizedTest(name = "P={0} T={1}")
  @CsvSource({"1, 1000", "2, 1001", "3, 1000", "8, 1003"})
  void concurrentWorkersGetOnePeerTableAndDisjointShardsCoveringT(final int p, final long t)
      throws Exception {
    try (InProcessCoordinator c = new InProcessCoordinator(TestSpecs.valid(p, t));
        ExecutorService pool = Executors.newFixedThreadPool(p)) {
      final List<Future<RegisterResponse>> futures = new ArrayList<>();
      for (int i = 0; i < p; i++) {
        // Odd workers ask for a rank (like a completion index), even ones take any.
        final int want = i % 2 == 1 ? p - 1 - i / 2 : -1;
        final String worker = "worker-" + i;
        futures.add(
            pool.submit(
                () ->
                    c.worker()
                        .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                        .register(req(worker, want))));
      }
      final List<RegisterResponse> responses = new ArrayList<>();
      for (final Future<RegisterResponse> f : futures) {
        responses.add(f.get(CALL_MS, TimeUnit.MILLISECONDS));
      }
      final Set<Integer> ranks = new HashSet<>();
      for (int i = 0; i < p; i++) {
        final RegisterResponse r = responses.get(i);
        ranks.add(r.getRank());
        assertEquals(
            responses.get(0).getPeersList(), r.getPeersList(), "same peer table for every worker");
        assertEquals(
            responses.get(0).getShardsList(),
            r.getShardsList(),
            "same shard plan for every worker");
        assertEquals(responses.get(0).getJob(), r.getJob());
        assertEquals(p, r.getWorldSize());
        assertEquals(
            "worker-" + i,
            r.getPeers(r.getRank()).getWorkerId(),
            "peer table maps rank to its worker");
        if (i % 2 == 1) {
          assertEquals(p - 1 - i / 2, r.getRank(), "requested rank honoured for worker-" + i);
        }
      }
      assertEquals(p, ranks.size(), "ranks are distinct");
      final List<ShardRange> shards = responses.get(0).getShardsList();
      long next = 0;
      for (int r = 0; r < p; r++) {
        final ShardRange s = shards.get(r);
        assertEquals(r, s.getRank());
        assertEquals(next, s.getStartToken(), "shard " + r + " starts where " + (r - 1) + " ended");
        final long len = s.getEndToken() - s.getStartToken();
        assertEquals(t / p + (r < t % p ? 1 : 0), len, "length of shard " + r);
        assertEquals(s.getStartToken() + 1, s.getFirstTargetToken());
        next = s.getEndToken();
      }
      assertEquals(t, next, "shards cover [0, T)");
      assertEquals(JobState.RUNNING, c.server.coordinator().state());
    }
  }

  @Test
  void duplicateRankAndSurplusWorkerAreRejected() throws Exception {
    try (InProcessCoordinator c = new InProcessCoordinator(TestSpecs.valid(2, 101));
        ExecutorService pool = Executors.newFixedThreadPool(2)) {
      final Future<RegisterResponse> first =
          pool.submit(
              () ->
                  c.worker()
                      .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                      .register(req("a", 0)));
      awaitRegistered(c, 1);
      final StatusRuntimeException dup =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  c.worker()
                      .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                      .register(req("b", 0)));
      assertEquals(Status.Code.ALREADY_EXISTS, dup.getStatus().getCode());
      assertTrue(
          dup.getStatus().getDescription().contains("rank 0 already registered by worker 'a'"),
          dup.getStatus().getDescription());
      final RegisterResponse second =
          c.worker().withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS).register(req("c", -1));
      assertEquals(1, second.getRank());
      assertEquals(0, first.get(CALL_MS, TimeUnit.MILLISECONDS).getRank());
      final StatusRuntimeException surplus =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  c.worker()
                      .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                      .register(req("d", -1)));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, surplus.getStatus().getCode());
      assertTrue(surplus.getStatus().getDescription().contains("rejected worker 'd'"));
      // A retry by a registered worker (its answer was lost) gets the same assignment again.
      assertEquals(
          1,
          c.worker()
              .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
              .register(req("c", -1))
              .getRank());
    }
  }

  @Test
  void rendezvousDeadlineFailsTheJobNamingMissingRanks() {
    final JobSpec spec =
        TestSpecs.valid(3, 300).toBuilder()
            .setControl(
                TestSpecs.valid(3, 300).getControl().toBuilder().setRendezvousTimeoutMs(1_000))
            .build();
    try (InProcessCoordinator c = new InProcessCoordinator(spec)) {
      final StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  c.worker()
                      .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                      .register(req("only", 1)));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
      assertTrue(
          e.getStatus().getDescription().contains("missing ranks [0, 2]"),
          e.getStatus().getDescription());
      final JobStatus st =
          c.admin()
              .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
              .status(JobStatusRequest.getDefaultInstance());
      assertEquals(JobState.FAILED.toProto(), st.getState());
      assertTrue(st.getReason().contains("1 of 3 workers registered"), st.getReason());
    }
  }

  @Test
  void staleEpochIsFencedNamingBothEpochs() {
    try (InProcessCoordinator c = new InProcessCoordinator(TestSpecs.valid(1, 10))) {
      final RegisterResponse r =
          c.worker().withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS).register(req("w", -1));
      final JobRef stale = r.getJob().toBuilder().setEpoch(r.getJob().getEpoch() + 5).build();
      final StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  c.worker()
                      .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                      .heartbeat(HeartbeatRequest.newBuilder().setJob(stale).setRank(0).build()));
      assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
      final String d = e.getStatus().getDescription();
      assertTrue(
          d.contains("epoch " + stale.getEpoch())
              && d.contains("current epoch " + r.getJob().getEpoch()),
          d);
    }
  }

  @Test
  void resubmissionStartsANewEpochAndFencesTheOldOne() {
    try (InProcessCoordinator c = new InProcessCoordinator(TestSpecs.valid(1, 10))) {
      final RegisterResponse first =
          c.worker().withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS).register(req("w", -1));
      final StatusRuntimeException busy =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  c.admin()
                      .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                      .submit(
                          io.seqpar.proto.v1.SubmitJobRequest.newBuilder()
                              .setSpec(TestSpecs.valid(1, 10))
                              .build()));
      assertEquals(Status.Code.ALREADY_EXISTS, busy.getStatus().getCode());
      c.admin()
          .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
          .cancel(
              io.seqpar.proto.v1.CancelJobRequest.newBuilder().setReason("restart gang").build());
      final JobRef second =
          c.admin()
              .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
              .submit(
                  io.seqpar.proto.v1.SubmitJobRequest.newBuilder()
                      .setSpec(TestSpecs.valid(1, 10))
                      .build())
              .getJob();
      assertEquals(first.getJob().getEpoch() + 1, second.getEpoch());
      final StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  c.worker()
                      .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                      .heartbeat(
                          HeartbeatRequest.newBuilder().setJob(first.getJob()).setRank(0).build()));
      assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
      assertTrue(
          e.getStatus()
              .getDescription()
              .contains(
                  "epoch "
                      + first.getJob().getEpoch()
                      + " does not match current epoch "
                      + second.getEpoch()),
          e.getStatus().getDescription());
    }
  }

  static void awaitRegistered(final InProcessCoordinator c, final int n)
      throws InterruptedException {
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (c.admin()
            .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
            .status(JobStatusRequest.getDefaultInstance())
            .getRegistered()
        < n) {
      assertTrue(System.nanoTime() - deadline < 0, "timed out waiting for " + n + " registrations");
      TimeUnit.MILLISECONDS.sleep(10); // deadline-bounded poll
    }
  }
}
