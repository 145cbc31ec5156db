import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
public class CopyBench {
  public static void main(String[] a) throws Throwable {
    Linker L = Linker.nativeLinker();
    MethodHandle memcpy = L.downcallHandle(L.defaultLookup().find("memcpy").get(),
        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), Linker.Option.critical(false));
    int N = 12; long B = Long.parseLong(a[0]);
    MemorySegment[] segs = new MemorySegment[N];
    for (int i = 0; i < N; i++) { segs[i] = Arena.global().allocate(B, 4096); segs[i].fill((byte)1); }
    int K = (int) Math.max(240, (1L<<30)/B);
    for (int rep = 0; rep < 6; rep++) {
      long t0 = System.nanoTime();
      for (int k = 0; k < K; k++) MemorySegment.copy(segs[k % N], 0, segs[(k+5) % N], 0, B);
      long t1 = System.nanoTime();
      for (int k = 0; k < K; k++) { MemorySegment r = (MemorySegment) memcpy.invokeExact(segs[(k+5) % N], segs[k % N], B); }
      long t2 = System.nanoTime();
      System.out.printf("B=%d copy %.1f us  memcpy %.1f us%n", B, (t1-t0)/(double)K/1e3, (t2-t1)/(double)K/1e3);
    }
  }
}
