import io.seqpar.collectives.ScanOperator;
import io.seqpar.collectives.transport.CrossMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Diagnostic, not part of the build: one cold All-Scan hop for a 4 MiB state on one core, three
 * ways. "current": pull X whole with process_vm_readv into out, then combine out and S into the send
 * buffer (what a middle rank did before combine descriptors). "pull by rows": pull X and S in row
 * groups into small cached buffers and combine into out (rejected: the per-call cost of
 * process_vm_readv outweighs the traffic saved). "direct": combine straight from X and S in memory
 * both ranks map (what combine descriptors do). 160 MiB of buffers are cycled so every pass is
 * cold, as at P >= 4.
 *
 * <pre>
 * ./mvnw -B -q -o -pl collectives -am compile
 * CP=$(find . -path "*target/classes" -type d | tr "\n" ":")
 * javac --add-modules jdk.incubator.vector -cp $CP -d /tmp/hop docs/perf/collectives-2026-11-23-combine/HopCombine.java
 * java -Drows=32 --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp /tmp/hop:$CP HopCombine
 * </pre>
 */
public class HopCombine {
  public static void main(final String[] args) {
    final int dk = 4096, dv = 256;
    final long bytes = (long) dk * dv * 4;
    final int sets = 10;
    final int g = Integer.getInteger("rows", 64);
    final long gb = (long) g * dv * 4;
    final Arena arena = Arena.ofShared();
    final CrossMemory cm = new CrossMemory();
    final int pid = CrossMemory.currentPid();
    final MemorySegment[] x = new MemorySegment[sets], out = new MemorySegment[sets], s = new MemorySegment[sets], y = new MemorySegment[sets];
    final MemorySegment log = arena.allocate(dk * 4L, 64);
    for (int i = 0; i < dk; i++) log.setAtIndex(ValueLayout.JAVA_FLOAT, i, -0.01f);
    for (int k = 0; k < sets; k++) { x[k] = filled(arena, bytes, 1); out[k] = filled(arena, bytes, 0); s[k] = filled(arena, bytes, 2); y[k] = filled(arena, bytes, 0); }
    final MemorySegment bx = filled(arena, gb, 0), bs = filled(arena, gb, 0);
    for (int rep = 0; rep < 8; rep++) {
      long a = 0, b = 0, c = 0; int n = 0;
      for (int it = 0; it < 40; it++) {
        int k = it % sets;
        long t0 = System.nanoTime();
        // current: pull X whole into out, combine out,S -> send buffer y
        cm.read(pid, out[k].address(), x[k].address(), bytes);
        ScanOperator.combine(null, out[k], log, s[k], null, y[k], 1, dk, dv, 0, dk);
        long t1 = System.nanoTime();
        k = (it + 3) % sets;
        // proposed: pull X and S row groups into small bounce buffers, combine into out
        for (int r = 0; r < dk; r += g) {
          final long off = (long) r * dv * 4;
          cm.read(pid, bx.address(), x[k].address() + off, gb);
          cm.read(pid, bs.address(), s[k].address() + off, gb);
          ScanOperator.combine(null, bx, log.asSlice(r * 4L), bs, null, out[k].asSlice(off), 1, g, dv, 0, g);
        }
        long t2 = System.nanoTime();
        k = (it + 6) % sets;
        // limit: combine straight from the remote buffers (shared memory) into out
        ScanOperator.combine(null, x[k], log, s[k], null, out[k], 1, dk, dv, 0, dk);
        long t3 = System.nanoTime();
        if (rep > 1) { a += t1 - t0; b += t2 - t1; c += t3 - t2; n++; }
      }
      if (n > 0) System.out.printf("current %.0f us | pull X,S by %d rows + combine into out %.0f us | direct combine %.0f us%n", a / 1e3 / n, g, b / 1e3 / n, c / 1e3 / n);
    }
  }
  static MemorySegment filled(Arena arena, long bytes, int v) { MemorySegment m = arena.allocate(bytes, 64); m.fill((byte) v); return m; }
}
