package io.seqpar.coordinator.job;

import io.grpc.Status;
import io.seqpar.SeqparException;
import java.util.Map;

/**
 * A control-plane request the coordinator refuses. Carries the gRPC code, a stable machine-readable
 * reason (sent as {@code google.rpc.ErrorInfo.reason}) and the values involved (ErrorInfo
 * metadata).
 */
public final class ControlPlaneException extends SeqparException {
  private static final long serialVersionUID = 1L;

  private final Status.Code code;
  private final String errorReason;
  private final transient Map<String, String> metadata;

  public ControlPlaneException(
      final Status.Code code,
      final String errorReason,
      final String message,
      final Map<String, String> metadata) {
    super(Category.ERROR, message);
    this.code = code;
    this.errorReason = errorReason;
    this.metadata = Map.copyOf(metadata);
  }

  public ControlPlaneException(
      final Status.Code code, final String errorReason, final String message) {
    this(code, errorReason, message, Map.of());
  }

  /** The gRPC status code to answer with. */
  public Status.Code code() {
    return code;
  }

  /** UPPER_SNAKE reason, e.g. {@code STALE_EPOCH}. */
  public String errorReason() {
    return errorReason;
  }

  /** Values involved, e.g. {@code request_epoch=1, current_epoch=2}. */
  public Map<String, String> metadata() {
    return metadata;
  }
}
