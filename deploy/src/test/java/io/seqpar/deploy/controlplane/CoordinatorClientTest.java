package io.seqpar.deploy.controlplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.seqpar.coordinator.CoordinatorContext;
import io.seqpar.coordinator.CoordinatorServer;
import io.seqpar.coordinator.job.JobState;
import io.seqpar.proto.v1.JobSpec;
import io.seqpar.proto.v1.RegisterRequest;
import io.seqpar.proto.v1.RegisterResponse;
import io.seqpar.proto.v1.RequestedRank;
import io.seqpar.proto.v1.StepReport;
import io.seqpar.rpc.JobToken;
import io.seqpar.worker.runtime.CoordinatorClient;
import io.seqpar.worker.runtime.CoordinatorClientOptions;
import io.seqpar.worker.runtime.CoordinatorLostException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The worker-side client against a real coordinator on the in-process transport. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CoordinatorClientTest {
  static final String TOKEN = "e2e-token";
  private final List<AutoCloseable> resources = new ArrayList<>();

  /** Records the listener calls with their time. */
  static final class Outcome implements CoordinatorClient.Listener {
    final CompletableFuture<String> abort = new CompletableFuture<>();
    final CompletableFuture<String> shutdown = new CompletableFuture<>();
    volatile long abortNs;

    @Override
    public void onAbort(final String reason) {
      abortNs = System.nanoTime();
      abort.complete(reason);
    }

    @Override
    public void onShutdown(final String reason) {
      shutdown.complete(reason);
    }
  }

  private ManagedChannel start(final JobSpec spec) {
    final String name = InProcessServerBuilder.generateName();
    final CoordinatorContext ctx = new CoordinatorContext().token(TOKEN).job(spec);
    final CoordinatorServer server =
        new CoordinatorServer(InProcessServerBuilder.forName(name), ctx)
            .start(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    this.server = server;
    final ManagedChannel ch = InProcessChannelBuilder.forName(name).build();
    resources.add(server);
    resources.add(ch::shutdownNow);
    return ch;
  }

  private CoordinatorServer server;

  private CoordinatorClient client(
      final ManagedChannel ch, final CoordinatorClientOptions o, final Outcome out) {
    final CoordinatorClient c = new CoordinatorClient(ch, JobToken.of(TOKEN), o, out);
    resources.add(0, c);
    return c;
  }

  static RegisterRequest request(final int rank) {
    return RegisterRequest.newBuilder()
        .setWorkerId("pod-" + rank)
        .setDataEndpoint("127.0.0.1:" + (41000 + rank))
        .setRequestedRank(RequestedRank.newBuilder().setRank(rank))
        .build();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (final AutoCloseable c : resources) {
      c.close();
    }
  }

  @Test
  void workerThatStopsHeartbeatingAbortsTheOthersWithinTwoIntervals() throws Exception {
    final long intervalMs = 1_000;
    final ManagedChannel ch = start(Jobs.spec(3, 5, intervalMs, 1_500));
    final List<CoordinatorClient> clients = new ArrayList<>();
    final List<Outcome> outcomes = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(3)) {
      final List<Future<RegisterResponse>> regs = new ArrayList<>();
      for (int r = 0; r < 3; r++) {
        final Outcome o = new Outcome();
        final CoordinatorClient c = client(ch, CoordinatorClientOptions.defaults(null), o);
        clients.add(c);
        outcomes.add(o);
        final int rank = r;
        regs.add(pool.submit(() -> c.register(request(rank))));
      }
      for (int r = 0; r < 3; r++) {
        assertEquals(r, regs.get(r).get(60, TimeUnit.SECONDS).getRank());
      }
    }
    clients.forEach(CoordinatorClient::start);
    clients.get(1).close(); // rank 1 "hangs": no more heartbeats
    final long stoppedNs = System.nanoTime();
    for (final int r : new int[] {0, 2}) {
      final String reason = outcomes.get(r).abort.get(30, TimeUnit.SECONDS);
      final long afterMs = TimeUnit.NANOSECONDS.toMillis(outcomes.get(r).abortNs - stoppedNs);
      assertTrue(reason.contains("rank 1"), reason);
      assertTrue(
          afterMs <= 2 * intervalMs,
          "rank " + r + " aborted " + afterMs + " ms after rank 1 stopped");
    }
    assertEquals(JobState.FAILED, server.coordinator().state());
    assertTrue(server.coordinator().reason().contains("rank 1"), server.coordinator().reason());
  }

  @Test
  void fullJobEndsInShutdown() throws Exception {
    final ManagedChannel ch = start(Jobs.spec(2, 2, 1_000, 5_000));
    final List<CoordinatorClient> clients = new ArrayList<>();
    final List<Outcome> outcomes = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
      final List<Future<?>> runs = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        final Outcome o = new Outcome();
        final CoordinatorClient c = client(ch, CoordinatorClientOptions.defaults(null), o);
        clients.add(c);
        outcomes.add(o);
        final int rank = r;
        runs.add(
            pool.submit(
                () -> {
                  c.register(request(rank));
                  c.start();
                  for (int s = 0; s < 2; s++) {
                    c.stepBarrier(s);
                    c.reportStep(
                        StepReport.newBuilder()
                            .setStep(s)
                            .setLoss(1)
                            .setTokens(500)
                            .setStepSeconds(0.1));
                  }
                  return null;
                }));
      }
      for (final Future<?> f : runs) {
        f.get(60, TimeUnit.SECONDS);
      }
    }
    for (final Outcome o : outcomes) {
      assertTrue(o.shutdown.get(30, TimeUnit.SECONDS).contains("finished step 1"));
    }
    assertEquals(JobState.COMPLETED, server.coordinator().state());
  }

  @Test
  void registrationRetriesUntilTheCoordinatorNameResolves() throws Exception {
    final ManagedChannel ch = start(Jobs.spec(1, 1, 1_000, 5_000));
    final AtomicInteger lookups = new AtomicInteger();
    final CoordinatorClientOptions o =
        CoordinatorClientOptions.defaults("seqpar-run-coordinator-0.seqpar-run")
            .withResolver(
                host -> {
                  if (lookups.incrementAndGet() < 3) {
                    throw new UnknownHostException(host + " (not yet in DNS)");
                  }
                  return new InetAddress[] {InetAddress.getLoopbackAddress()};
                });
    final RegisterResponse r = client(ch, o, new Outcome()).register(request(0));
    assertEquals(0, r.getRank());
    assertEquals(3, lookups.get(), "resolved once per attempt");
  }

  @Test
  void registrationGivesUpAfterItsBoundedTime() {
    final ManagedChannel ch = start(Jobs.spec(1, 1, 1_000, 5_000));
    final CoordinatorClientOptions o =
        CoordinatorClientOptions.defaults("never.invalid")
            .withRegisterTimeoutMs(1_000)
            .withResolver(
                host -> {
                  throw new UnknownHostException(host);
                });
    final long t0 = System.nanoTime();
    final CoordinatorLostException e =
        assertThrows(
            CoordinatorLostException.class,
            () -> client(ch, o, new Outcome()).register(request(0)));
    assertTrue(
        e.getMessage().contains("gave up after") && e.getMessage().contains("never.invalid"),
        e.getMessage());
    assertTrue(
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 10_000,
        "bounded by the register timeout");
  }

  @Test
  void refusedRegistrationIsNotRetried() throws Exception {
    final ManagedChannel ch = start(Jobs.spec(1, 1, 1_000, 5_000));
    client(ch, CoordinatorClientOptions.defaults(null), new Outcome()).register(request(0));
    final CoordinatorLostException e =
        assertThrows(
            CoordinatorLostException.class,
            () ->
                client(ch, CoordinatorClientOptions.defaults(null), new Outcome())
                    .register(RegisterRequest.newBuilder().setWorkerId("late").build()));
    assertTrue(e.getMessage().contains("RESOURCE_EXHAUSTED"), e.getMessage());
  }
}
