package io.seqpar.deploy.k8s;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.batch.v1.JobTemplateSpec;
import java.util.List;

/**
 * A typed, strict model of {@code jobset.x-k8s.io/v1alpha2} JobSet: the fields of conventions §1.7
 * (and the few the overlays set), with names and types from the JobSet API ({@code
 * api/jobset/v1alpha2/jobset_types.go}). The parser fails on any field not declared here, so a typo
 * or a field of another version fails the test. Child Job templates are fabric8's {@code batch/v1}
 * model, parsed just as strictly.
 */
record JobSetV1alpha2(String apiVersion, String kind, ObjectMeta metadata, Spec spec) {
  static final List<String> ACTIONS =
      List.of(
          "FailJobSet",
          "RestartJobSet",
          "RestartJobSetAndIgnoreMaxRestarts",
          "RestartJob",
          "RestartJobAndIgnoreMaxRestarts");
  static final List<String> FAILURE_REASONS =
      List.of(
          "BackoffLimitExceeded",
          "DeadlineExceeded",
          "PodFailurePolicy",
          "MaxFailedIndexesExceeded");

  record Spec(
      List<ReplicatedJob> replicatedJobs,
      Network network,
      SuccessPolicy successPolicy,
      FailurePolicy failurePolicy,
      Boolean suspend,
      Coordinator coordinator,
      Integer ttlSecondsAfterFinished) {}

  record ReplicatedJob(String name, Integer replicas, JobTemplateSpec template) {}

  record Network(Boolean enableDNSHostnames, String subdomain, Boolean publishNotReadyAddresses) {}

  record SuccessPolicy(String operator, List<String> targetReplicatedJobs) {}

  record FailurePolicy(Integer maxRestarts, List<FailurePolicyRule> rules) {}

  record FailurePolicyRule(
      String name,
      String action,
      List<String> onJobFailureReasons,
      List<String> targetReplicatedJobs) {}

  record Coordinator(String replicatedJob, Integer jobIndex, Integer podIndex) {}
}
