package io.seqpar.worker.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class VectorExpTest {
  @Test
  void matchesMathExpWithinTwoUlpOverTheWholeNonPositiveRange() {
    final int lanes = Gemm.LANES;
    final float[] x = new float[lanes];
    final float[] y = new float[lanes];
    double worst = 0;
    for (int i = 0; i <= 2_000_000; i += lanes) {
      for (int l = 0; l < lanes; l++) {
        x[l] = Math.max(-87f, -87f * (i + l) / 2_000_000f);
      }
      VectorExp.expNonPositive(FloatVector.fromArray(Gemm.SPECIES, x, 0)).intoArray(y, 0);
      for (int l = 0; l < lanes; l++) {
        final double ref = Math.exp(x[l]);
        worst = Math.max(worst, Math.abs(y[l] - ref) / Math.ulp((float) ref));
      }
    }
    assertThat(worst).as("worst error in ulps").isLessThanOrEqualTo(2.0);
  }

  @Test
  void flushesBelowTheFloorToExactZeroAndKeepsExpOfZeroExact() {
    final float[] x = new float[Gemm.LANES];
    final float[] y = new float[Gemm.LANES];
    java.util.Arrays.fill(x, -87.5f);
    x[0] = 0f;
    x[1] = -1e30f;
    VectorExp.expNonPositive(FloatVector.fromArray(Gemm.SPECIES, x, 0)).intoArray(y, 0);
    assertThat(y[0]).isEqualTo(1f);
    assertThat(y[1]).isEqualTo(0f);
    assertThat(y[2]).isEqualTo(0f);
  }
}
