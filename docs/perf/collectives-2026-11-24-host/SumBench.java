import java.lang.foreign.*;
import jdk.incubator.vector.*;
public class SumBench {
  static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  static void scalar(MemorySegment data, long base, MemorySegment scratch, int n) {
    for (int i = 0; i < n; i++) { long idx = base + i; data.setAtIndex(F, idx, data.getAtIndex(F, idx) + scratch.getAtIndex(F, i)); }
  }
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static void vec(MemorySegment data, long base, MemorySegment scratch, int n) {
    int i = 0; int up = S.loopBound(n);
    java.nio.ByteOrder o = java.nio.ByteOrder.nativeOrder();
    for (; i < up; i += S.length()) {
      long off = (base + i) * 4;
      FloatVector a = FloatVector.fromMemorySegment(S, data, off, o);
      FloatVector b = FloatVector.fromMemorySegment(S, scratch, (long) i * 4, o);
      a.add(b).intoMemorySegment(data, off, o);
    }
    for (; i < n; i++) { long idx = base + i; data.setAtIndex(F, idx, data.getAtIndex(F, idx) + scratch.getAtIndex(F, i)); }
  }
  public static void main(String[] a) {
    int n = 57344; 
    MemorySegment d = Arena.global().allocate(4L * n * 2, 64), s = Arena.global().allocate(4L * n, 64);
    for (int rep = 0; rep < 5; rep++) {
      long t0 = System.nanoTime(); for (int k = 0; k < 2000; k++) scalar(d, 16, s, n); long t1 = System.nanoTime();
      for (int k = 0; k < 2000; k++) vec(d, 16, s, n); long t2 = System.nanoTime();
      System.out.printf("scalar %.1f us  vector %.1f us (n=%d)%n", (t1-t0)/2000/1e3, (t2-t1)/2000/1e3, n);
    }
  }
}
