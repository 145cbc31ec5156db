package io.seqpar.rpc;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The job token on the wire: {@code authorization: Bearer <token>} on every project RPC. Shared by
 * the coordinator (which checks it) and every client (which attaches it), so both sides agree on
 * the header. The token itself is a secret: {@link #toString()} never shows it.
 */
public final class JobToken extends CallCredentials {
  /** The metadata key carrying the token. */
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** Prefix of the header value. */
  public static final String BEARER = "Bearer ";

  private final String token;

  private JobToken(final String token) {
    this.token = token;
  }

  /** Credentials that attach {@code token} to every call; the token must be non-empty. */
  public static JobToken of(final String token) {
    Objects.requireNonNull(token, "token");
    if (token.isEmpty()) {
      throw new IllegalArgumentException("job token must not be empty");
    }
    return new JobToken(token);
  }

  @Override
  public void applyRequestMetadata(
      final RequestInfo requestInfo, final Executor appExecutor, final MetadataApplier applier) {
    try {
      final Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, BEARER + token);
      applier.apply(headers);
    } catch (final RuntimeException e) {
      applier.fail(Status.UNAUTHENTICATED.withDescription("cannot attach job token").withCause(e));
    }
  }

  @Override
  public String toString() {
    return "JobToken[redacted]";
  }
}
