package io.seqpar.coordinator.job;

import io.seqpar.InvalidInputException;
import java.util.List;
import java.util.stream.Collectors;

/** A job spec failed validation; carries every violation found, not only the first. */
public final class InvalidJobSpecException extends InvalidInputException {
  private static final long serialVersionUID = 1L;

  private final transient List<JobSpecViolation> violations;

  public InvalidJobSpecException(final List<JobSpecViolation> violations) {
    super(
        "invalid job spec: "
            + violations.stream().map(JobSpecViolation::message).collect(Collectors.joining("; ")));
    this.violations = List.copyOf(violations);
  }

  /** Every violation, in field order. */
  public List<JobSpecViolation> violations() {
    return violations;
  }
}
