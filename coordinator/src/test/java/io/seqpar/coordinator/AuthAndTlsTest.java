package io.seqpar.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.seqpar.proto.v1.JobAdminGrpc;
import io.seqpar.proto.v1.JobStatus;
import io.seqpar.proto.v1.JobStatusRequest;
import io.seqpar.proto.v1.RegisterRequest;
import io.seqpar.proto.v1.WorkerControlGrpc;
import io.seqpar.rpc.JobToken;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AuthAndTlsTest {
  static final long CALL_MS = 20_000;

  @Test
  void callsWithoutTheTokenAreUnauthenticatedButHealthStaysOpen() {
    try (InProcessCoordinator c = new InProcessCoordinator(TestSpecs.valid(2, 100))) {
      final StatusRuntimeException noToken =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  WorkerControlGrpc.newBlockingStub(c.channel)
                      .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                      .register(RegisterRequest.newBuilder().setWorkerId("w").build()));
      assertEquals(Status.Code.UNAUTHENTICATED, noToken.getStatus().getCode());
      final StatusRuntimeException wrong =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  JobAdminGrpc.newBlockingStub(c.channel)
                      .withCallCredentials(JobToken.of("guess"))
                      .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                      .status(JobStatusRequest.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, wrong.getStatus().getCode());
      assertFalse(
          wrong.getStatus().getDescription().contains(InProcessCoordinator.TOKEN),
          "token never echoed");
      final HealthCheckResponse health =
          HealthGrpc.newBlockingStub(c.channel)
              .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
              .check(HealthCheckRequest.getDefaultInstance());
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
      assertEquals(
          2,
          c.admin()
              .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
              .status(JobStatusRequest.getDefaultInstance())
              .getWorldSize());
      assertFalse(c.stdout.toString(StandardCharsets.UTF_8).contains(InProcessCoordinator.TOKEN));
    }
  }

  @Test
  void withTlsAPlaintextClientFailsAndATlsClientSucceeds(@TempDir final Path dir) throws Exception {
    final Path cert = dir.resolve("server.pem");
    final Path key = dir.resolve("server.key");
    final Path clientCert = dir.resolve("client.pem");
    final Path clientKey = dir.resolve("client.key");
    SelfSigned.generate(cert, key, "localhost");
    SelfSigned.generate(clientCert, clientKey, "seqpar-worker");
    final CoordinatorContext ctx =
        new CoordinatorContext()
            .port(0)
            .token(InProcessCoordinator.TOKEN)
            .job(TestSpecs.valid(2, 100))
            .tlsCert(cert)
            .tlsKey(key)
            .tlsClientCa(clientCert);
    try (CoordinatorServer server =
        new CoordinatorServer(CoordinatorServer.nettyBuilder(ctx), ctx)
            .start(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
      final int port = server.port();
      final StatusRuntimeException plain =
          assertThrows(
              StatusRuntimeException.class,
              () -> status(port, InsecureChannelCredentials.create()));
      assertEquals(Status.Code.UNAVAILABLE, plain.getStatus().getCode());
      final ChannelCredentials noClientCert =
          TlsChannelCredentials.newBuilder().trustManager(cert.toFile()).build();
      assertThrows(
          StatusRuntimeException.class,
          () -> status(port, noClientCert),
          "client certificate required");
      final ChannelCredentials mtls =
          TlsChannelCredentials.newBuilder()
              .trustManager(cert.toFile())
              .keyManager(clientCert.toFile(), clientKey.toFile())
              .build();
      assertEquals(2, status(port, mtls).getWorldSize());
    }
  }

  private static JobStatus status(final int port, final ChannelCredentials creds) {
    final ManagedChannel ch = Grpc.newChannelBuilderForAddress("localhost", port, creds).build();
    try {
      return JobAdminGrpc.newBlockingStub(ch)
          .withCallCredentials(JobToken.of(InProcessCoordinator.TOKEN))
          .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
          .status(JobStatusRequest.getDefaultInstance());
    } finally {
      ch.shutdownNow();
    }
  }

  /** Self-signed certificates made with the openssl command line (no crypto library needed). */
  static final class SelfSigned {
    static void generate(final Path cert, final Path key, final String cn) throws Exception {
      final Process p =
          new ProcessBuilder(
                  List.of(
                      "openssl",
                      "req",
                      "-x509",
                      "-newkey",
                      "rsa:2048",
                      "-nodes",
                      "-keyout",
                      key.toString(),
                      "-out",
                      cert.toString(),
                      "-days",
                      "1",
                      "-subj",
                      "/CN=" + cn,
                      "-addext",
                      "subjectAltName=DNS:" + cn + ",DNS:localhost,IP:127.0.0.1"))
              .redirectErrorStream(true)
              .start();
      final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "openssl timed out");
      assertEquals(0, p.exitValue(), "openssl failed: " + out);
    }
  }
}
