package io.seqpar.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.seqpar.checkpoint.CheckpointStore;
import io.seqpar.coordinator.job.JobState;
import io.seqpar.proto.v1.CheckpointCommit;
import io.seqpar.proto.v1.CheckpointReport;
import io.seqpar.proto.v1.JobRef;
import io.seqpar.proto.v1.JobSpec;
import io.seqpar.proto.v1.RegisterResponse;
import io.seqpar.proto.v1.SubmitJobRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's side of coordinated checkpoints: the manifest is committed only when every rank
 * reported its durable files; a rank that never reports fails the job and leaves LATEST where it
 * was; a resumed job hands the verified manifest and its step to every worker; a corrupted
 * checkpoint is refused at submit, naming the file and both hashes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CheckpointCommitTest {
  static final long CALL_MS = 20_000;
  static final int P = 2;

  @TempDir Path dir;

  private JobSpec spec(final boolean resume) {
    final JobSpec base = TestSpecs.valid(P, 64);
    return base.toBuilder()
        .setSteps(10)
        .setCheckpoint(
            base.getCheckpoint().toBuilder()
                .setDir(dir.toString())
                .setIntervalSteps(5)
                .setResume(resume))
        .setControl(base.getControl().toBuilder().setBarrierTimeoutMs(1_500))
        .build();
  }

  private static List<RegisterResponse> registerAll(
      final InProcessCoordinator c, final ExecutorService pool) throws Exception {
    final List<Future<RegisterResponse>> f = new ArrayList<>();
    for (int r = 0; r < P; r++) {
      final int rank = r;
      f.add(
          pool.submit(
              () ->
                  c.worker()
                      .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                      .register(RendezvousTest.req("w" + rank, rank))));
    }
    final List<RegisterResponse> out = new ArrayList<>();
    for (final Future<RegisterResponse> x : f) {
      out.add(x.get(CALL_MS, TimeUnit.MILLISECONDS));
    }
    return out;
  }

  private CheckpointReport report(final JobRef job, final int rank, final long step)
      throws Exception {
    final CheckpointStore store = new CheckpointStore(dir);
    final Path f = store.stepDir(step).resolve("rank-" + rank + ".json");
    CheckpointStore.writeAtomically(
        f, ("{\"rank\":" + rank + "}").getBytes(StandardCharsets.UTF_8));
    return CheckpointReport.newBuilder()
        .setJob(job)
        .setRank(rank)
        .setStep(step)
        .addFiles(store.describe(f, rank))
        .build();
  }

  /** Every rank reports its file for {@code step} concurrently (each call parks until commit). */
  private List<Future<CheckpointCommit>> commitAll(
      final InProcessCoordinator c, final ExecutorService pool, final JobRef job, final long step)
      throws Exception {
    final List<Future<CheckpointCommit>> commits = new ArrayList<>();
    for (int r = 0; r < P; r++) {
      final CheckpointReport rep = report(job, r, step);
      commits.add(
          pool.submit(
              () ->
                  c.worker()
                      .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                      .commitCheckpoint(rep)));
    }
    return commits;
  }

  @Test
  void allRanksReportedCommitsAndAResumedJobStartsThere() throws Exception {
    try (ExecutorService pool = Executors.newFixedThreadPool(P)) {
      try (InProcessCoordinator c = new InProcessCoordinator(spec(false))) {
        final List<RegisterResponse> regs = registerAll(c, pool);
        assertEquals(0, regs.get(0).getStartStep());
        assertEquals("", regs.get(0).getResumeManifest());
        final JobRef job = regs.get(0).getJob();
        final List<Future<CheckpointCommit>> commits = commitAll(c, pool, job, 5);
        for (final Future<CheckpointCommit> f : commits) {
          assertEquals(
              "step-00000005/MANIFEST.json", f.get(CALL_MS, TimeUnit.MILLISECONDS).getManifest());
        }
        assertEquals(JobState.RUNNING, c.server.coordinator().state());
        final CheckpointStore store = new CheckpointStore(dir);
        assertEquals("step-00000005/MANIFEST.json", store.latest().orElseThrow());
        assertEquals(P, store.read(store.latest().orElseThrow()).getFilesCount());
      }
      try (InProcessCoordinator c = new InProcessCoordinator(spec(true))) {
        final List<RegisterResponse> regs = registerAll(c, pool);
        for (final RegisterResponse r : regs) {
          assertEquals(5, r.getStartStep());
          assertEquals("step-00000005/MANIFEST.json", r.getResumeManifest());
        }
      }
    }
  }

  @Test
  void aRankThatNeverReportsFailsTheJobAndNothingIsCommitted() throws Exception {
    try (ExecutorService pool = Executors.newFixedThreadPool(P);
        InProcessCoordinator c = new InProcessCoordinator(spec(false))) {
      final JobRef job = registerAll(c, pool).get(0).getJob();
      final CheckpointReport only = report(job, 0, 5);
      final StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  c.worker()
                      .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                      .commitCheckpoint(only));
      assertEquals(Status.Code.ABORTED, e.getStatus().getCode());
      assertTrue(
          e.getStatus().getDescription().contains("ranks [1]"), e.getStatus().getDescription());
      assertEquals(JobState.FAILED, c.server.coordinator().state());
      assertFalse(Files.exists(dir.resolve("step-00000005/MANIFEST.json")));
      assertTrue(new CheckpointStore(dir).latest().isEmpty());
    }
  }

  @Test
  void aCorruptedCheckpointIsRefusedAtSubmitNamingTheFileAndBothHashes() throws Exception {
    try (ExecutorService pool = Executors.newFixedThreadPool(P)) {
      try (InProcessCoordinator c = new InProcessCoordinator(spec(false))) {
        final JobRef job = registerAll(c, pool).get(0).getJob();
        final List<Future<CheckpointCommit>> commits = commitAll(c, pool, job, 5);
        for (final Future<CheckpointCommit> f : commits) {
          f.get(CALL_MS, TimeUnit.MILLISECONDS);
        }
      }
      final Path file = dir.resolve("step-00000005/rank-1.json");
      final String before = CheckpointStore.sha256(file);
      Files.writeString(file, "{\"rank\":7}");
      final String after = CheckpointStore.sha256(file);
      try (InProcessCoordinator c = new InProcessCoordinator((JobSpec) null)) {
        final StatusRuntimeException e =
            assertThrows(
                StatusRuntimeException.class,
                () ->
                    c.admin()
                        .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                        .submit(SubmitJobRequest.newBuilder().setSpec(spec(true)).build()));
        final String d = e.getStatus().getDescription();
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(d.contains(file.toString()) && d.contains(before) && d.contains(after), d);
      }
    }
  }
}
