package io.seqpar.deploy.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.seqpar.config.SeqparContext;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Smoke test of the seqpar image built without a registry ({@code build-local-image.sh}): the CLI
 * and its exit codes inside a container, and {@code seqpar coordinator} serving gRPC on the mapped
 * port as a non-root user. Skipped (saying why) only when no Docker engine runs.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ContainerImageIT {
  static final String TINY_JOB =
      "{\"name\":\"smoke\",\"model\":{\"layers\":1,\"d_model\":16,\"heads\":1,\"dk\":8,\"dv\":8,\"mlp_ratio\":2,"
          + "\"vocab\":256,\"decay_mode\":\"plain\"},\"parallel\":{\"world_size\":2,\"strategy\":\"chain\"},"
          + "\"seq_len\":64,\"chunk\":8,\"data\":{\"synthetic\":{},\"batch\":1},\"optimizer\":{\"lr\":0.01},\"steps\":3}";

  @BeforeAll
  static void images() throws Exception {
    LocalImages.require();
  }

  @Test
  void helpExitsZeroAndABadFlagExitsTwo() throws Exception {
    final LocalImages.Result help =
        LocalImages.runToCompletion(LocalImages.SEQPAR, List.of(), "--help");
    assertEquals(0, help.exitCode(), help.logs());
    assertTrue(help.logs().contains("Usage: seqpar"), help.logs());
    final LocalImages.Result bad =
        LocalImages.runToCompletion(LocalImages.SEQPAR, List.of(), "--no-such-flag");
    assertEquals(2, bad.exitCode(), bad.logs());
    assertTrue(bad.logs().contains("--no-such-flag"), bad.logs());
  }

  @Test
  void noArgumentsRunsTheRoleFromSeqparRole() throws Exception {
    final LocalImages.Result r =
        LocalImages.runToCompletion(
            LocalImages.SEQPAR, List.of(SeqparContext.ENV_ROLE + "=no-such-role"));
    assertEquals(2, r.exitCode(), r.logs());
    assertTrue(r.logs().contains("no-such-role"), r.logs());
  }

  @Test
  void coordinatorServesGrpcAsNonRoot() {
    try (GenericContainer<?> c =
        new GenericContainer<>(DockerImageName.parse(LocalImages.SEQPAR))
            .withEnv(SeqparContext.ENV_TOKEN, "smoke-token")
            .withCommand("coordinator", "--job-json", TINY_JOB)
            .withExposedPorts(SeqparContext.DEFAULT_COORDINATOR_PORT)
            .waitingFor(Wait.forLogMessage(".*listening on port 7000.*\\n", 1))
            .withStartupTimeout(Duration.ofSeconds(90))) {
      c.start();
      assertEquals("10001:10001", c.getContainerInfo().getConfig().getUser());
      final ManagedChannel ch =
          ManagedChannelBuilder.forAddress(
                  c.getHost(), c.getMappedPort(SeqparContext.DEFAULT_COORDINATOR_PORT))
              .usePlaintext()
              .build();
      try {
        final HealthCheckResponse r =
            HealthGrpc.newBlockingStub(ch)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, r.getStatus());
      } finally {
        ch.shutdownNow();
      }
      assertTrue(c.getLogs().contains("job smoke epoch 1: submitted"), c.getLogs());
    }
  }
}
