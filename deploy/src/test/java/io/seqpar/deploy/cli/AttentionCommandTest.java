package io.seqpar.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.seqpar.tensor.Npy;
import io.seqpar.tensor.NpyArray;
import io.seqpar.testing.OracleCase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code seqpar attention} end to end, checked by the oracle's own (independent) script. */
@Timeout(300)
class AttentionCommandTest {
  @TempDir Path tmp;

  @Test
  void helpListsTheSubcommands() {
    final CliRun r = CliRun.of("--help");
    assertEquals(0, r.code());
    assertThat(r.out()).contains("Usage: seqpar").contains("attention").contains("help");
    assertThat(CliRun.of("--version").out()).contains("seqpar");
  }

  static Stream<String> cases() {
    return OracleCase.names().stream();
  }

  /** Every oracle case through the CLI, accepted by check_npy.py --strict (numpy, not our code). */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void outputsPassTheOracleChecker(final String name) throws Exception {
    final OracleCase c = OracleCase.load(name);
    final Path out = tmp.resolve(name);
    final CliRun r =
        CliRun.of(
            "attention", "--inputs", c.dir().toString(), "--out", out.toString(), "--chunk", "48");
    assertEquals(0, r.code(), r.err());
    assertThat(r.out()).contains("mode=" + c.mode());
    final List<String> names = new ArrayList<>(List.of("o", "S_T", "dq", "dk", "dv"));
    if (c.mode().equals("gla")) {
      names.add("dg");
    }
    for (final String n : names) {
      assertThat(out.resolve(n + ".npy")).exists();
    }
    assumeTrue(numpyAvailable(), "python3 with numpy not available: oracle script check skipped");
    final List<String> cmd =
        new ArrayList<>(
            List.of(
                "python3",
                OracleCase.oracleDir().resolve("check_npy.py").toString(),
                c.dir().toString(),
                out.toString(),
                "--strict",
                "--only"));
    cmd.addAll(names);
    final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    final String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertEquals(0, p.exitValue(), log);
    assertThat(log).contains("failed 0");
  }

  /** --ranks P: every strategy, threads (inmem) and processes (ipc), accepted by the checker. */
  @ParameterizedTest(name = "{0} P={1} {2}")
  @org.junit.jupiter.params.provider.CsvSource({
    "allscan,2,inmem",
    "allscan,7,inmem",
    "allgather,7,inmem",
    "chain,7,inmem",
    "tree,7,inmem",
    "auto,3,inmem",
    "tree,3,ipc"
  })
  void shardedRunsPassTheOracleChecker(
      final String strategy, final int ranks, final String transport) throws Exception {
    final OracleCase c = OracleCase.load("gla_B2_H2_T257_dk16_dv16");
    final Path out = tmp.resolve(strategy + ranks + transport);
    final CliRun r =
        CliRun.of(
            "attention",
            "--inputs",
            c.dir().toString(),
            "--out",
            out.toString(),
            "--chunk",
            "16",
            "--ranks",
            String.valueOf(ranks),
            "--strategy",
            strategy,
            "--transport",
            transport);
    assertEquals(0, r.code(), r.err());
    assertThat(r.out()).contains(ranks + " ranks, " + strategy + " over " + transport);
    assumeTrue(numpyAvailable(), "python3 with numpy not available: oracle script check skipped");
    final Process p =
        new ProcessBuilder(
                "python3",
                OracleCase.oracleDir().resolve("check_npy.py").toString(),
                c.dir().toString(),
                out.toString(),
                "--strict",
                "--only",
                "o",
                "S_T",
                "dq",
                "dk",
                "dv",
                "dg")
            .redirectErrorStream(true)
            .start();
    final String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertEquals(0, p.exitValue(), log);
  }

  /** The collectives bench writes a calibration that --strategy auto then uses. */
  @Test
  void autoStrategyUsesACalibrationWrittenByTheCollectivesBench() {
    final Path cal = tmp.resolve("cal.properties");
    final CliRun b =
        CliRun.of(
            "bench",
            "collectives",
            "--op",
            "chain",
            "--ranks",
            "2",
            "--transport",
            "inmem",
            "--min-bytes",
            "4K",
            "--max-bytes",
            "64K",
            "--factor",
            "4",
            "--warmup",
            "1",
            "--iters",
            "3",
            "--calibration-out",
            cal.toString());
    assertEquals(0, b.code(), b.err());
    assertThat(b.out()).contains("# calibration: alpha=");
    assertThat(cal).exists();
    final OracleCase c = OracleCase.load("decay_B2_H2_T64_dk16_dv16");
    final CliRun r =
        CliRun.of(
            "attention",
            "--inputs",
            c.dir().toString(),
            "--out",
            tmp.resolve("auto").toString(),
            "--ranks",
            "3",
            "--strategy",
            "auto",
            "--calibration",
            cal.toString());
    assertEquals(0, r.code(), r.err());
    assertThat(r.out())
        .containsPattern("auto: (allscan|allgather|tree) \\(alpha=")
        .contains("from " + cal);
    final CliRun bad =
        CliRun.of(
            "bench",
            "collectives",
            "--op",
            "allreduce",
            "--ranks",
            "2",
            "--transport",
            "inmem",
            "--calibration-out",
            cal.toString());
    assertEquals(2, bad.code());
    assertThat(bad.err()).contains("--calibration-out").contains("--op chain");
  }

  @Test
  void badShardingOptionsAreUsageErrorsNamingTheOption() {
    final String in = OracleCase.load("plain_B2_H2_T7_dk16_dv16").dir().toString();
    CliRun r = CliRun.of("attention", "--inputs", in, "--ranks", "0");
    assertEquals(2, r.code());
    assertThat(r.err()).contains("--ranks").contains("1..256");
    r = CliRun.of("attention", "--inputs", in, "--ranks", "2", "--strategy", "ring");
    assertEquals(2, r.code());
    assertThat(r.err()).contains("--strategy").contains("'ring'").contains("allscan");
    r = CliRun.of("attention", "--inputs", in, "--ranks", "2", "--transport", "tcp");
    assertEquals(2, r.code());
    assertThat(r.err()).contains("--transport").contains("inmem, ipc, udp");
  }

  @Test
  void builtInProblemRunsOnEmbeddedDefaults() {
    final CliRun r = CliRun.of("attention", "--out", tmp.resolve("demo").toString());
    assertEquals(0, r.code(), r.err());
    assertThat(r.out()).contains("built-in problem").contains("tokens/s");
    assertThat(tmp.resolve("demo/dg.npy")).exists();
  }

  @Test
  void truncatedNpyIsAUsageErrorNamingTheFile() throws IOException {
    final Path in = copyCase("plain_B2_H2_T7_dk16_dv16");
    final byte[] b = Files.readAllBytes(in.resolve("k.npy"));
    Files.write(in.resolve("k.npy"), Arrays.copyOf(b, b.length - 10));
    assertUsageError(in, "k.npy", "truncated");
  }

  @Test
  void bigEndianNpyIsAUsageError() throws IOException {
    final Path in = copyCase("plain_B2_H2_T7_dk16_dv16");
    final byte[] b = Files.readAllBytes(in.resolve("v.npy"));
    final String s = new String(b, StandardCharsets.ISO_8859_1).replace("'<f4'", "'>f4'");
    Files.write(in.resolve("v.npy"), s.getBytes(StandardCharsets.ISO_8859_1));
    assertUsageError(in, "v.npy", "'>f4'");
  }

  @Test
  void shapeMismatchNamesFileExpectedAndActualShape() throws IOException {
    final Path in = copyCase("decay_B2_H2_T64_dk16_dv16");
    Npy.writeFloat32(in.resolve("dO.npy"), new int[] {2, 2, 63, 16}, new float[2 * 2 * 63 * 16]);
    assertUsageError(in, "dO.npy", "expected shape [2, 2, 64, 16], got [2, 2, 63, 16]");
  }

  @Test
  void nanInputIsAUsageErrorNamingTheIndex() throws IOException {
    final Path in = copyCase("gla_B2_H1_T7_dk16_dv16");
    final NpyArray q = Npy.read(in.resolve("q.npy"));
    final float[] data = q.toFloatArray();
    data[37] = Float.NaN;
    Npy.writeFloat32(in.resolve("q.npy"), q.shape(), data);
    assertUsageError(in, "q.npy", "NaN");
  }

  @Test
  void badChunkIsAUsageErrorNamingTheOption() {
    final CliRun r = CliRun.of("attention", "--chunk", "0", "--out", tmp.resolve("x").toString());
    assertEquals(2, r.code());
    assertThat(r.err()).contains("--chunk").contains("0").contains("1..4096");
    assertThat(tmp.resolve("x")).doesNotExist();
  }

  private void assertUsageError(final Path in, final String file, final String detail) {
    final Path out = tmp.resolve("out-" + file);
    final CliRun r = CliRun.of("attention", "--inputs", in.toString(), "--out", out.toString());
    assertEquals(2, r.code(), r.out() + r.err());
    assertThat(r.err()).contains(file).contains(detail);
    assertThat(out).doesNotExist(); // nothing written on error
  }

  private Path copyCase(final String name) throws IOException {
    final Path src = OracleCase.load(name).dir();
    final Path dst = tmp.resolve("in-" + name);
    Files.createDirectories(dst);
    for (final String f : List.of("q.npy", "k.npy", "v.npy", "dO.npy", "decay.npy", "g.npy")) {
      if (Files.exists(src.resolve(f))) {
        Files.copy(src.resolve(f), dst.resolve(f));
      }
    }
    return dst;
  }

  private static boolean numpyAvailable() {
    try {
      final Process p = new ProcessBuilder("python3", "-c", "import numpy").start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (final IOException | InterruptedException e) {
      return false;
    }
  }
}
