package io.seqpar.coordinator.job;

import io.grpc.Status;
import io.seqpar.InvalidInputException;
import io.seqpar.checkpoint.CheckpointStore;
import io.seqpar.proto.v1.CheckpointManifest;
import io.seqpar.proto.v1.JobSpec;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where a job starts: step 0, or the last committed checkpoint when {@code checkpoint.resume} is
 * set. The coordinator verifies every file of that manifest (size and SHA-256) at submit, so a
 * corrupted checkpoint fails the job before any worker starts, naming the file and both hashes.
 */
record ResumePoint(long step, String manifest) {
  static final ResumePoint FRESH = new ResumePoint(0, "");

  static ResumePoint find(final JobSpec spec) {
    if (!spec.getCheckpoint().getResume() || spec.getCheckpoint().getDir().isBlank()) {
      return FRESH;
    }
    try {
      final CheckpointStore store = new CheckpointStore(Path.of(spec.getCheckpoint().getDir()));
      final Optional<String> latest = store.latest();
      if (latest.isEmpty()) {
        return FRESH;
      }
      final CheckpointManifest m = store.read(latest.get());
      store.verify(m);
      if (m.getStep() > spec.getSteps()) {
        throw new InvalidInputException(
            "checkpoint "
                + latest.get()
                + " is at step "
                + m.getStep()
                + ", beyond the job's steps ("
                + spec.getSteps()
                + ")");
      }
      return new ResumePoint(m.getStep(), latest.get());
    } catch (final InvalidInputException e) {
      throw new ControlPlaneException(
          Status.Code.FAILED_PRECONDITION,
          "CHECKPOINT_INVALID",
          "resume: " + e.getMessage(),
          Map.of("checkpoint_dir", spec.getCheckpoint().getDir()));
    }
  }
}
