/*
 * Diagnostic, not part of the build (notes.txt item 6): cold 4 MiB copy, fill and All-Scan combine
 * on one core, the JVM's against the C library's (FFM), and a two-pass combine.
 *   J=/usr/lib/jvm/temurin-25-jdk-amd64/bin
 *   $J/javac --add-modules jdk.incubator.vector -d /tmp/hop CopyFloor.java Par.java
 *   $J/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp /tmp/hop CopyFloor
 */
import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
import jdk.incubator.vector.*;
import java.nio.ByteOrder;

public class CopyFloor {
  static final MethodHandle MEMCPY = Linker.nativeLinker().downcallHandle(
      Linker.nativeLinker().defaultLookup().find("memcpy").get(),
      FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), Linker.Option.critical(false));
  static final MethodHandle MEMSET = Linker.nativeLinker().downcallHandle(
      Linker.nativeLinker().defaultLookup().find("memset").get(),
      FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), Linker.Option.critical(false));
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final ByteOrder N = ByteOrder.nativeOrder();

  static void scaleAdd(float f, MemorySegment a, long ao, MemorySegment b, long bo, MemorySegment o, long oo, long n) {
    FloatVector vf = FloatVector.broadcast(S, f);
    for (long j = 0; j < n; j += S.length()) {
      long off = j * 4;
      FloatVector.fromMemorySegment(S, a, ao + off, N).mul(vf).add(FloatVector.fromMemorySegment(S, b, bo + off, N)).intoMemorySegment(o, oo + off, N);
    }
  }
  static void memcpy(MemorySegment d, MemorySegment s, long n) {
    try { MemorySegment r = (MemorySegment) MEMCPY.invokeExact(d, s, n); } catch (Throwable t) { throw new RuntimeException(t); }
  }
  static void memset(MemorySegment d, long n) {
    try { MemorySegment r = (MemorySegment) MEMSET.invokeExact(d, 0, n); } catch (Throwable t) { throw new RuntimeException(t); }
  }

  public static void main(String[] args) {
    final long bytes = 4L << 20; final int sets = 12; final long chunk = Long.getLong("chunk", 65536);
    Arena arena = Arena.ofShared();
    MemorySegment[] x = new MemorySegment[sets], s = new MemorySegment[sets], o = new MemorySegment[sets];
    for (int k = 0; k < sets; k++) {
      x[k] = arena.allocate(bytes, 4096); s[k] = arena.allocate(bytes, 4096); o[k] = arena.allocate(bytes, 4096);
      x[k].fill((byte) 1); s[k].fill((byte) 2); o[k].fill((byte) 3);
    }
    String[] names = {"combine-1pass", "memcpy+inplace", "copy-jvm", "copy-memcpy", "zero-jvm", "zero-memset"};
    for (int rep = 0; rep < 8; rep++) {
      long[] ns = new long[names.length];
      for (int it = 0; it < 48; it++) {
        int k = it % sets;
        for (int v = 0; v < names.length; v++) {
          int kk = (k + v * 2) % sets; // different cold buffers per variant
          long t0 = System.nanoTime();
          switch (v) {
            case 0 -> scaleAdd(0.9f, x[kk], 0, s[kk], 0, o[kk], 0, bytes / 4);
            case 1 -> { for (long c = 0; c < bytes; c += chunk) { memcpy(o[kk].asSlice(c, chunk), s[kk].asSlice(c, chunk), chunk); scaleAdd(0.9f, x[kk], c, o[kk], c, o[kk], c, chunk / 4); } }
            case 2 -> MemorySegment.copy(s[kk], 0, o[kk], 0, bytes);
            case 3 -> memcpy(o[kk], s[kk], bytes);
            case 4 -> o[kk].fill((byte) 0);
            case 5 -> memset(o[kk], bytes);
          }
          ns[v] += System.nanoTime() - t0;
          // evict: touch other sets happens naturally by cycling
        }
      }
      StringBuilder sb = new StringBuilder("rep " + rep);
      for (int v = 0; v < names.length; v++) sb.append(String.format("  %s %.0f us", names[v], ns[v] / 48 / 1e3));
      System.out.println(sb);
    }
  }
}
