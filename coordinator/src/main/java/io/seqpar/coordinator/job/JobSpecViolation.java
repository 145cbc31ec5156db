package io.seqpar.coordinator.job;

/**
 * One problem with a job spec: the field path (as in the proto, e.g. {@code model.dk}), the value
 * found and what is allowed.
 */
public record JobSpecViolation(String field, String value, String allowed) {
  /** "field: value is not allowed (allowed: ...)" for users. */
  public String message() {
    return field + ": " + value + " is not allowed (allowed: " + allowed + ")";
  }
}
