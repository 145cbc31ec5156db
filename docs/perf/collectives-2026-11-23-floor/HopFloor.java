import io.seqpar.collectives.ScanOperator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Diagnostic, not part of the build: the cold-cache cost of one All-Scan hop's local work for a
 * 4 MiB state on one core. It copies the received prefix X into {@code out}, then combines Y =
 * Γ ⊙ X + ΔS into the send buffer (ScanOperator.combine, as AllScan does). It cycles through 10
 * sets of buffers (160 MiB) so every pass comes from DRAM, as it does at P ≥ 4 where the ranks'
 * buffers (12 MiB each) outgrow the 32 MiB L3. It also times the same work fused: copy and combine
 * row groups of {@code -Drows} rows each, so the copied rows are still in cache when combined.
 *
 * <pre>
 * ./mvnw -B -q -o -pl collectives -am compile
 * CP=$(find . -path '*target/classes' -type d | tr '\n' ':')
 * javac -cp $CP -d /tmp/hop docs/perf/collectives-2026-11-23-floor/HopFloor.java
 * java -Drows=32 --add-modules jdk.incubator.vector -cp /tmp/hop:$CP HopFloor
 * </pre>
 */
public class HopFloor {
  public static void main(final String[] args) {
    final int dk = 4096;
    final int dv = 256;
    final long bytes = (long) dk * dv * 4; // 4 MiB, one head
    final int sets = 10;
    final int rowsPerGroup = Integer.getInteger("rows", 64);
    final Arena arena = Arena.ofShared();
    final MemorySegment[] x = new MemorySegment[sets];
    final MemorySegment[] out = new MemorySegment[sets];
    final MemorySegment[] s = new MemorySegment[sets];
    final MemorySegment[] y = new MemorySegment[sets];
    final MemorySegment log = arena.allocate(dk * 4L, 64);
    for (int i = 0; i < dk; i++) {
      log.setAtIndex(ValueLayout.JAVA_FLOAT, i, -0.01f);
    }
    for (int k = 0; k < sets; k++) {
      x[k] = filled(arena, bytes, 1);
      out[k] = filled(arena, bytes, 0);
      s[k] = filled(arena, bytes, 2);
      y[k] = filled(arena, bytes, 0);
    }
    for (int rep = 0; rep < 6; rep++) {
      long copyNs = 0;
      long combineNs = 0;
      long fusedNs = 0;
      int n = 0;
      for (int it = 0; it < 40; it++) {
        final int k = it % sets;
        final long t0 = System.nanoTime();
        MemorySegment.copy(x[k], 0, out[k], 0, bytes);
        final long t1 = System.nanoTime();
        ScanOperator.combine(null, out[k], log, s[k], null, y[k], 1, dk, dv, 0, dk);
        final long t2 = System.nanoTime();
        final int f = (it + 5) % sets; // another set: cold again
        for (int r = 0; r < dk; r += rowsPerGroup) {
          final long off = (long) r * dv * 4;
          MemorySegment.copy(x[f], off, out[f], off, (long) rowsPerGroup * dv * 4);
          ScanOperator.combine(null, out[f], log, s[f], null, y[f], 1, dk, dv, r, r + rowsPerGroup);
        }
        final long t3 = System.nanoTime();
        if (rep > 1) { // the first two repetitions warm the JIT
          copyNs += t1 - t0;
          combineNs += t2 - t1;
          fusedNs += t3 - t2;
          n++;
        }
      }
      if (n > 0) {
        System.out.printf(
            "cold 4 MiB: copy %.0f us, combine %.0f us, hop %.0f us; fused by %d rows %.0f us%n",
            copyNs / 1e3 / n,
            combineNs / 1e3 / n,
            (copyNs + combineNs) / 1e3 / n,
            rowsPerGroup,
            fusedNs / 1e3 / n);
      }
    }
  }

  private static MemorySegment filled(final Arena arena, final long bytes, final int value) {
    final MemorySegment m = arena.allocate(bytes, 64);
    m.fill((byte) value);
    return m;
  }
}
