/*
 * Diagnostic, not part of the build (notes.txt item 7): N threads each combining 4 MiB cold at once.
 *   $J/java --add-modules jdk.incubator.vector -cp /tmp/hop Par 1     (then Par 2)
 */
import java.lang.foreign.*;
public class Par {
  public static void main(String[] a) throws Exception {
    int threads = Integer.parseInt(a[0]);
    final long bytes = 4L << 20; final int sets = 8;
    Thread[] ts = new Thread[threads];
    long[] res = new long[threads];
    java.util.concurrent.CyclicBarrier bar = new java.util.concurrent.CyclicBarrier(threads);
    for (int t = 0; t < threads; t++) {
      final int id = t;
      ts[t] = new Thread(() -> {
        Arena arena = Arena.ofShared();
        MemorySegment[] x = new MemorySegment[sets], s = new MemorySegment[sets], o = new MemorySegment[sets];
        for (int k = 0; k < sets; k++) { x[k] = arena.allocate(bytes, 4096); s[k] = arena.allocate(bytes, 4096); o[k] = arena.allocate(bytes, 4096); x[k].fill((byte)1); s[k].fill((byte)2); o[k].fill((byte)3);}
        for (int rep = 0; rep < 6; rep++) {
          try { bar.await(); } catch (Exception e) {}
          long t0 = System.nanoTime();
          for (int it = 0; it < 64; it++) { int k = it % sets; CopyFloor.scaleAdd(0.9f, x[k], 0, s[k], 0, o[k], 0, bytes / 4); }
          res[id] = (System.nanoTime() - t0) / 64;
        }
      });
      ts[t].start();
    }
    for (Thread t : ts) t.join();
    System.out.println(threads + " threads: per-combine us " + java.util.Arrays.toString(java.util.Arrays.stream(res).map(x -> x / 1000).toArray()));
  }
}
