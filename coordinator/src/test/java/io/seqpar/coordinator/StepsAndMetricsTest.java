package io.seqpar.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.coordinator.job.JobState;
import io.seqpar.proto.v1.CollectiveTiming;
import io.seqpar.proto.v1.JobEventType;
import io.seqpar.proto.v1.JobRef;
import io.seqpar.proto.v1.RegisterResponse;
import io.seqpar.proto.v1.StepBarrierRequest;
import io.seqpar.proto.v1.StepReport;
import io.seqpar.proto.v1.WatchEventsRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StepsAndMetricsTest {
  static final long CALL_MS = 30_000;
  static final int P = 2;

  @Test
  void stepsAreAggregatedIntoPrometheusAndJsonlAndTheJobCompletes(@TempDir final Path dir)
      throws Exception {
    final Path jsonl = dir.resolve("metrics/steps.jsonl");
    final Path ready = dir.resolve("ready.json");
    final CoordinatorContext ctx =
        new CoordinatorContext()
            .token(InProcessCoordinator.TOKEN)
            .job(TestSpecs.valid(P, 1001))
            .metricsPort(0)
            .metricsJsonl(jsonl)
            .readyFile(ready);
    try (InProcessCoordinator c = new InProcessCoordinator(ctx);
        ExecutorService pool = Executors.newFixedThreadPool(P)) {
      final String readyJson = Files.readString(ready);
      assertTrue(readyJson.contains("\"metrics_port\":" + c.server.metricsPort()), readyJson);
      final List<Future<RegisterResponse>> regs = new ArrayList<>();
      for (int r = 0; r < P; r++) {
        final int rank = r;
        regs.add(
            pool.submit(
                () ->
                    c.worker()
                        .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
                        .register(RendezvousTest.req("w" + rank, rank))));
      }
      final JobRef job = regs.get(0).get(CALL_MS, TimeUnit.MILLISECONDS).getJob();
      final EventRecorder events = new EventRecorder();
      c.workerAsync()
          .watchEvents(WatchEventsRequest.newBuilder().setJob(job).setRank(0).build(), events);
      final List<Future<?>> ranks = new ArrayList<>();
      for (int r = 0; r < P; r++) {
        final int rank = r;
        ranks.add(pool.submit(() -> runSteps(c, job, rank, 3)));
      }
      for (final Future<?> f : ranks) {
        f.get(CALL_MS, TimeUnit.MILLISECONDS);
      }
      assertEquals(
          JobEventType.JOB_EVENT_SHUTDOWN,
          events.terminal.get(CALL_MS, TimeUnit.MILLISECONDS).getType());
      assertEquals(JobState.COMPLETED, c.server.coordinator().state());

      final HttpResponse<String> resp =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://localhost:" + c.server.metricsPort() + "/metrics"))
                      .timeout(Duration.ofSeconds(20))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(200, resp.statusCode());
      assertTrue(
          resp.headers()
              .firstValue("Content-Type")
              .orElse("")
              .startsWith("text/plain; version=0.0.4"));
      final Map<String, Double> m = PrometheusText.parse(resp.body());
      assertEquals(3.0, m.get("seqpar_steps_completed_total"));
      assertEquals(3.0 * P * 500, m.get("seqpar_tokens_processed_total"));
      assertEquals(1.0, m.get("seqpar_job_state{state=\"completed\"}"));
      assertEquals(2.0, m.get("seqpar_step_loss"), 1e-12);
      assertEquals(1000.0 / 0.5, m.get("seqpar_tokens_per_second"), 1e-9);
      assertEquals(3.0, m.get("seqpar_step_duration_seconds_count"));
      assertEquals(3.0, m.get("seqpar_step_duration_seconds_bucket{le=\"+Inf\"}"));
      assertEquals(
          3.0,
          m.get(
              "seqpar_collective_duration_seconds_count{collective=\"scan_fwd\",algorithm=\"allscan\"}"));
      assertEquals(
          3.0 * P * 4096,
          m.get("seqpar_collective_bytes_total{collective=\"scan_fwd\",algorithm=\"allscan\"}"));
      assertEquals(1.0, m.get("seqpar_rank_up{rank=\"1\"}"));

      final List<String> lines = Files.readAllLines(jsonl);
      assertEquals(3, lines.size(), "one JSONL record per step");
      assertTrue(
          lines.get(2).startsWith("{\"ts_unix_ms\":") && lines.get(2).contains("\"step\":2,"),
          lines.get(2));
      assertTrue(lines.get(0).contains("\"scan_fwd/allscan\":{\"duration_s\":0.02"), lines.get(0));
    }
  }

  private static void runSteps(
      final InProcessCoordinator c, final JobRef job, final int rank, final int steps) {
    for (int s = 0; s < steps; s++) {
      c.worker()
          .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
          .stepBarrier(
              StepBarrierRequest.newBuilder().setJob(job).setRank(rank).setStep(s).build());
      c.worker()
          .withDeadlineAfter(CALL_MS, TimeUnit.MILLISECONDS)
          .reportStep(
              StepReport.newBuilder()
                  .setJob(job)
                  .setRank(rank)
                  .setStep(s)
                  .setLoss(1.0 + 2 * rank) // mean over ranks = 2.0
                  .setTokens(500)
                  .setStepSeconds(0.25 + 0.25 * rank)
                  .setExposedCommSeconds(0.01)
                  .setBytesSent(4096)
                  .addCollectives(
                      CollectiveTiming.newBuilder()
                          .setCollective("scan_fwd")
                          .setAlgorithm("allscan")
                          .setSeconds(0.02)
                          .setBytes(4096))
                  .build());
    }
  }
}
