package io.seqpar.coordinator.job;

import io.seqpar.proto.v1.JobStateProto;
import java.util.EnumSet;
import java.util.Set;

/**
 * Lifecycle of one job epoch. Allowed moves:
 *
 * <pre>
 * PENDING -> RENDEZVOUS -> RUNNING <-> CHECKPOINTING
 *    |            |            |             |
 *    +------------+------------+-------------+--> FAILED | CANCELLED
 * RUNNING -> COMPLETED
 * </pre>
 *
 * Terminal states never change again; a resubmission starts a new epoch.
 */
public enum JobState {
  /** Accepted; no worker has registered yet. The rendezvous deadline is already running. */
  PENDING(JobStateProto.JOB_STATE_PENDING),
  /** Some workers registered; waiting for all P. */
  RENDEZVOUS(JobStateProto.JOB_STATE_RENDEZVOUS),
  /** All P ranks assigned and told their peers; heartbeats are monitored. */
  RUNNING(JobStateProto.JOB_STATE_RUNNING),
  /** Workers are writing a checkpoint; heartbeats are still monitored. */
  CHECKPOINTING(JobStateProto.JOB_STATE_CHECKPOINTING),
  /** Every rank finished the last step. Terminal. */
  COMPLETED(JobStateProto.JOB_STATE_COMPLETED),
  /** A rank failed or went silent, or rendezvous timed out. Terminal. */
  FAILED(JobStateProto.JOB_STATE_FAILED),
  /** Cancelled by an admin. Terminal. */
  CANCELLED(JobStateProto.JOB_STATE_CANCELLED);

  private final JobStateProto proto;

  JobState(final JobStateProto proto) {
    this.proto = proto;
  }

  /** True for states that never change again. */
  public boolean isTerminal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }

  /** The wire value. */
  public JobStateProto toProto() {
    return proto;
  }

  /** Lower-case name for logs and metric labels. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Whether a move from this state to {@code to} is allowed. */
  public boolean canMoveTo(final JobState to) {
    return successors().contains(to);
  }

  private Set<JobState> successors() {
    return switch (this) {
      case PENDING -> EnumSet.of(RENDEZVOUS, FAILED, CANCELLED);
      case RENDEZVOUS -> EnumSet.of(RUNNING, FAILED, CANCELLED);
      case RUNNING -> EnumSet.of(CHECKPOINTING, COMPLETED, FAILED, CANCELLED);
      case CHECKPOINTING -> EnumSet.of(RUNNING, FAILED, CANCELLED);
      case COMPLETED, FAILED, CANCELLED -> EnumSet.noneOf(JobState.class);
    };
  }
}
