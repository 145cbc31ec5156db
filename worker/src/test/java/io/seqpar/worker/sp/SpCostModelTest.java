package io.seqpar.worker.sp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.seqpar.InvalidInputException;
import io.seqpar.collectives.ScanShape;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class SpCostModelTest {
  @TempDir Path dir;

  @Test
  void latencyBoundGroupsPickTheTreeAndBandwidthBoundOnesAllScan() {
    final ScanShape mib = new ScanShape(16, 128, 128); // 1 MiB states
    assertThat(new SpCostModel(1e6, 0).choose(64, mib)).isEqualTo(SpStrategy.TREE);
    assertThat(new SpCostModel(0, 1).choose(8, mib)).isEqualTo(SpStrategy.ALLSCAN);
    assertThat(SpCostModel.DEFAULT.choose(1, mib)).isEqualTo(SpStrategy.ALLSCAN);
    // The chain is never chosen: it cannot overlap compute.
    for (final int p : new int[] {2, 3, 8, 256}) {
      assertThat(SpCostModel.DEFAULT.choose(p, mib)).isNotEqualTo(SpStrategy.CHAIN);
    }
  }

  @Test
  void fitsAChainBenchmarkAndRoundTripsThroughAFile() throws Exception {
    // 3 ranks = 2 hops; per hop 10 µs + 1 ns/byte.
    final long[] bytes = {1000, 1_000_000};
    final double[] us = {2 * (10 + 1), 2 * (10 + 1000)};
    final SpCostModel m = SpCostModel.fitChain(3, bytes, us);
    assertThat(m.alphaNs()).isCloseTo(10_000, org.assertj.core.data.Offset.offset(1.0));
    assertThat(m.betaNsPerByte()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    final Path f = dir.resolve("cal.properties");
    m.save(f);
    assertThat(SpCostModel.load(f)).isEqualTo(m);
    assertThat(Files.list(dir).count()).isEqualTo(1); // no temp file left
  }

  @Test
  void aBadCalibrationFileNamesTheFileAndTheKeys() throws Exception {
    final Path f = dir.resolve("bad.properties");
    Files.writeString(f, "alpha_ns=fast\n");
    assertThat(assertThrows(InvalidInputException.class, () -> SpCostModel.load(f)).getMessage())
        .contains("bad.properties")
        .contains("alpha_ns")
        .contains("beta_ns_per_byte");
  }
}
