package io.seqpar.deploy.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ProgressTest {
  @TempDir Path tmp;

  final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  final AtomicLong clock = new AtomicLong();

  String text() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  static StepReport step(final int i, final int n, final double loss) {
    return StepReport.parse(
            "step " + i + "/" + n + " | loss=" + loss + " | tok/s=41230 | comm exposed=3.1%")
        .orElseThrow();
  }

  @Test
  void stepLinesParseAndFormatTheSame() {
    final StepReport r =
        StepReport.parse(
                "step 12/50 | loss=3.2141 | tok/s=41230 | comm exposed=3.1% | grad_norm=0.91")
            .orElseThrow();
    assertEquals(12, r.step());
    assertEquals(50, r.totalSteps());
    assertEquals(3.2141, r.loss());
    assertEquals(41230, r.tokensPerS());
    assertEquals(3.1, r.commExposedPct());
    assertEquals("0.91", r.fields().get("grad_norm"));
    assertEquals("step 12/50 | loss=3.2141 | tok/s=41230 | comm exposed=3.1%", r.format());
    assertEquals(r.format(), StepReport.parse(r.format()).orElseThrow().format());
    assertTrue(StepReport.parse("stepping up").isEmpty());
    assertTrue(StepReport.parse("[w01] step 1/2").isEmpty(), "prefixed lines are not parsed");
    assertTrue(Double.isNaN(StepReport.parse("step 1/2").orElseThrow().loss()));
  }

  @Test
  void plainOutputIsRateLimitedButShowsTheLastStep() {
    final Progress p = new Progress(out, false, 10_000, clock::get);
    for (int i = 1; i <= 50; i++) {
      clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
      p.report(step(i, 50, 4.0 - i * 0.01));
    }
    p.finish();
    final String[] lines = text().split("\n");
    assertEquals(6, lines.length, text()); // steps 1, 11, 21, 31, 41 and the last, 50
    assertTrue(lines[0].startsWith("step 1/50   2% | loss 3.9900 | 41230 tok/s"), lines[0]);
    assertTrue(lines[1].contains("ETA 0:39"), lines[1]);
    assertTrue(lines[5].startsWith("step 50/50 100%"), lines[5]);
    assertFalse(text().contains("\r"));
  }

  @Test
  void terminalOutputRedrawsOneLine() {
    final Progress p = new Progress(out, true, 10_000, clock::get);
    p.report(step(1, 4, 3.0));
    clock.addAndGet(TimeUnit.SECONDS.toNanos(2));
    p.report(step(2, 4, 2.5));
    p.finish();
    final String t = text();
    assertEquals(2, t.chars().filter(c -> c == '\r').count(), t);
    assertTrue(t.contains("[############............] step 2/4  50% | loss 2.5000"), t);
    assertTrue(t.contains("ETA 0:04"), t);
    assertTrue(t.endsWith("\n"), "finish ends the line");
  }

  @Test
  void summaryNamesFiguresAndPaths() {
    final RunDirectory run =
        RunDirectory.create(tmp.resolve("runs"), RunId.next(), tmp.resolve("shm"));
    new RunSummary(
            40,
            40L * 65536,
            4.1,
            2.3,
            Duration.ofSeconds(64),
            Map.of("allScan", 1.2, "allGather", 0.4),
            0.031,
            1_048_576,
            run,
            run.root().resolve("final.safetensors"))
        .print(out);
    final String t = text();
    assertTrue(t.contains("loss         4.1000 -> 2.3000"), t);
    assertTrue(t.contains("tokens       2621440 (40960 tok/s over 64.0 s)"), t);
    assertTrue(t.contains("allScan      1.200 s total, 30.00 ms/step"), t);
    assertTrue(t.contains("comm exposed 3.1% of step time"), t);
    assertTrue(t.contains("logs         " + run.logs()), t);
  }
}
