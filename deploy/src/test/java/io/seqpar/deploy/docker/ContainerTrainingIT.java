package io.seqpar.deploy.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.seqpar.config.SeqparContext;
import io.seqpar.deploy.k8s.ShmSizing;
import io.seqpar.deploy.launcher.EnvContract;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.output.WaitingConsumer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Multi-node training in containers, one per process, exactly as the Kubernetes manifests start
 * them: a coordinator and two workers on a private network, workers configured only through the
 * {@code SEQPAR_*} contract (role from {@code SEQPAR_ROLE} with no arguments, rank, world size,
 * coordinator DNS name, their own DNS name as the Aeron endpoint host), Aeron over UDP between
 * containers, {@code /dev/shm} sized by {@link ShmSizing}. Checks a run to completion and the loss
 * of a node. Runs once the image's CLI has a {@code worker} command (skipped, saying so, before).
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class ContainerTrainingIT {
  static final int WORKERS = 2;
  static final String TOKEN = "container-training-token";

  @BeforeAll
  static void images() throws Exception {
    LocalImages.require();
    final LocalImages.Result r =
        LocalImages.runToCompletion(LocalImages.SEQPAR, List.of(), "worker", "--help");
    // picocli answers `--help` with exit 0 even after an unknown command, so look for its usage.
    if (r.exitCode() != 0 || !r.logs().contains("Usage: seqpar worker")) {
      final String why =
          "`seqpar worker` is not in this build yet; ContainerTrainingIT runs once it is";
      System.out.println("ContainerTrainingIT skipped: " + why);
      Assumptions.abort(why);
    }
  }

  private static String job(final long steps) {
    return ContainerImageIT.TINY_JOB
        .replace("\"steps\":3", "\"steps\":" + steps)
        .replace("\"world_size\":2", "\"world_size\":" + WORKERS)
        .replace(
            "}}",
            "},\"control\":{\"rendezvous_timeout_ms\":120000,\"heartbeat_interval_ms\":500,\"heartbeat_timeout_ms\":3000}}");
  }

  private static GenericContainer<?> coordinator(final Network net, final long steps) {
    return new GenericContainer<>(DockerImageName.parse(LocalImages.SEQPAR))
        .withNetwork(net)
        .withNetworkAliases("coordinator")
        .withEnv(SeqparContext.ENV_ROLE, "coordinator")
        .withEnv(SeqparContext.ENV_WORLD_SIZE, Integer.toString(WORKERS))
        .withEnv(SeqparContext.ENV_TOKEN, TOKEN)
        .withEnv(SeqparContext.ENV_JOB_ID, "smoke")
        .withCommand("coordinator", "--job-json", job(steps))
        .waitingFor(Wait.forLogMessage(".*listening on port.*\\n", 1))
        .withStartupTimeout(Duration.ofSeconds(90));
  }

  /** A worker as a pod runs it: no arguments, everything from the environment. */
  private static GenericContainer<?> worker(final Network net, final int rank) {
    final String host = "worker-" + rank;
    return new GenericContainer<>(DockerImageName.parse(LocalImages.SEQPAR))
        .withNetwork(net)
        .withNetworkAliases(host)
        .withSharedMemorySize(ShmSizing.workerBytes(WORKERS, ShmSizing.DEFAULT_TERM_LENGTH))
        .withEnv(SeqparContext.ENV_ROLE, "worker")
        .withEnv(SeqparContext.ENV_RANK, Integer.toString(rank))
        .withEnv(SeqparContext.ENV_WORLD_SIZE, Integer.toString(WORKERS))
        .withEnv(SeqparContext.ENV_COORDINATOR_ADDR, "coordinator")
        .withEnv(
            SeqparContext.ENV_COORDINATOR_PORT,
            Integer.toString(SeqparContext.DEFAULT_COORDINATOR_PORT))
        .withEnv(SeqparContext.ENV_TOKEN, TOKEN)
        .withEnv(SeqparContext.ENV_JOB_ID, "smoke")
        .withEnv(SeqparContext.ENV_ENDPOINT_HOST, host)
        .withEnv(EnvContract.AERON_DIR, "/dev/shm/aeron")
        .withEnv(EnvContract.COMPUTE_THREADS, "1")
        .withEnv(EnvContract.IDLE_STRATEGY, "backoff");
  }

  private static long waitForExit(final GenericContainer<?> c, final long timeoutSeconds) {
    final DockerClient docker = DockerClientFactory.instance().client();
    return docker
        .waitContainerCmd(c.getContainerId())
        .start()
        .awaitStatusCode(timeoutSeconds, TimeUnit.SECONDS);
  }

  @Test
  void coordinatorAndWorkersInSeparateContainersTrainToCompletion() {
    try (Network net = Network.newNetwork();
        GenericContainer<?> coord = coordinator(net, 5)) {
      coord.start();
      final List<GenericContainer<?>> workers = new ArrayList<>();
      try {
        for (int r = 0; r < WORKERS; r++) {
          final GenericContainer<?> w = worker(net, r);
          w.start();
          workers.add(w);
        }
        assertEquals(0, waitForExit(coord, 240), coord.getLogs());
        assertTrue(coord.getLogs().contains("-> completed"), coord.getLogs());
        for (final GenericContainer<?> w : workers) {
          assertEquals(0, waitForExit(w, 60), w.getLogs());
        }
      } finally {
        workers.forEach(GenericContainer::close);
      }
    }
  }

  @Test
  void losingANodeFailsTheJobFast() {
    try (Network net = Network.newNetwork();
        GenericContainer<?> coord = coordinator(net, 100_000)) {
      coord.start();
      final List<GenericContainer<?>> workers = new ArrayList<>();
      try {
        for (int r = 0; r < WORKERS; r++) {
          final GenericContainer<?> w = worker(net, r);
          w.start();
          workers.add(w);
        }
        // Await the rendezvous on the coordinator's log stream (deadline-bounded, no polling).
        final WaitingConsumer log = new WaitingConsumer();
        coord.followOutput(log);
        try {
          log.waitUntil(f -> f.getUtf8String().contains("-> running"), 120, TimeUnit.SECONDS);
        } catch (final TimeoutException e) {
          throw new AssertionError("no rendezvous within 120 s: " + coord.getLogs(), e);
        }
        // Node loss: the container dies without a goodbye (SIGKILL), as when a node vanishes.
        DockerClientFactory.instance()
            .client()
            .killContainerCmd(workers.get(1).getContainerId())
            .exec();
        final long code = waitForExit(coord, 60);
        assertNotEquals(0, code, coord.getLogs());
        assertTrue(coord.getLogs().contains("-> failed"), coord.getLogs());
        long survivor;
        try {
          survivor = waitForExit(workers.get(0), 60);
        } catch (final RuntimeException e) {
          throw new AssertionError(
              "worker 0 did not exit within 60 s of the node loss; its log:\n"
                  + workers.get(0).getLogs(),
              e);
        }
        assertNotEquals(0, survivor, workers.get(0).getLogs());
      } finally {
        workers.forEach(GenericContainer::close);
      }
    }
  }
}
