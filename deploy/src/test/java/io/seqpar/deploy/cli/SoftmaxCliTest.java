package io.seqpar.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.seqpar.tensor.Npy;
import io.seqpar.testing.TensorAssert;
import io.seqpar.testing.Tolerance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code seqpar attention --softmax} and the softmax strategies of {@code seqpar bench sp}. */
@Timeout(240)
class SoftmaxCliTest {
  private static final int H = 2;
  private static final int T = 77;
  private static final int D = 16;

  @TempDir Path tmp;

  private Path inputs() throws Exception {
    final Path dir = Files.createDirectories(tmp.resolve("in"));
    final Random rng = new Random(3);
    for (final String n : new String[] {"q", "k", "v", "dO"}) {
      final float[] x = new float[H * T * D];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) rng.nextGaussian();
      }
      Npy.writeFloat32(dir.resolve(n + ".npy"), new int[] {1, H, T, D}, x);
    }
    return dir;
  }

  @Test
  void everyStrategyOverThreeRanksEqualsOneRank() throws Exception {
    final Path in = inputs();
    final Path ref = tmp.resolve("ref");
    final CliRun r0 =
        CliRun.of("attention", "--softmax", "--inputs", in.toString(), "--out", ref.toString());
    assertEquals(0, r0.code(), r0.err());
    assertThat(r0.out()).contains("softmax attention").contains("ring");
    for (final String s : new String[] {"ring", "ring-zigzag", "allgather-kv"}) {
      final Path out = tmp.resolve(s);
      final CliRun r =
          CliRun.of(
              "attention",
              "--softmax",
              "--strategy",
              s,
              "--ranks",
              "3",
              "--inputs",
              in.toString(),
              "--out",
              out.toString());
      assertEquals(0, r.code(), r.err());
      for (final String n : new String[] {"o", "dq", "dk", "dv"}) {
        TensorAssert.assertClose(
            s + " " + n,
            Npy.read(ref.resolve(n + ".npy")).toFloatArray(),
            Npy.read(out.resolve(n + ".npy")).toFloatArray(),
            Tolerance.relFro(1e-5));
      }
      assertThat(out.resolve("S_T.npy")).doesNotExist();
    }
  }

  @Test
  void badSoftmaxInputExitsTwoNamingTheOption() throws Exception {
    final CliRun bad = CliRun.of("attention", "--softmax", "--strategy", "allscan");
    assertEquals(2, bad.code());
    assertThat(bad.err()).contains("--strategy").contains("ring-zigzag");
    final CliRun ipc =
        CliRun.of("attention", "--softmax", "--transport", "ipc", "--inputs", inputs().toString());
    assertEquals(2, ipc.code());
    assertThat(ipc.err()).contains("--transport");
    final CliRun bench = CliRun.of("bench", "sp", "--strategies", "ring,zigzag");
    assertEquals(2, bench.code());
    assertThat(bench.err()).contains("--strategies").contains("ring-zigzag");
  }

  @Test
  void benchSpRunsSoftmaxStrategiesOverProcesses() {
    final CliRun r =
        CliRun.of(
            "bench",
            "sp",
            "--strategies",
            "ring-zigzag,allgather-kv",
            "--ranks",
            "2",
            "--tokens",
            "256",
            "--heads",
            "1",
            "--dk",
            "16",
            "--dv",
            "16",
            "--warmup",
            "0",
            "--iters",
            "1");
    assertEquals(0, r.code(), r.err() + r.out());
    assertThat(r.out()).contains("ring-zigzag").contains("allgather-kv").contains("balance");
  }
}
