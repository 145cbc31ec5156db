import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
public class FillBench {
  public static void main(String[] a) throws Throwable {
    Linker L = Linker.nativeLinker();
    MethodHandle memset = L.downcallHandle(L.defaultLookup().find("memset").get(),
        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), Linker.Option.critical(false));
    int N = 12; long B = 4 << 20;
    MemorySegment[] segs = new MemorySegment[N];
    for (int i = 0; i < N; i++) { segs[i] = Arena.global().allocate(B, 4096); segs[i].fill((byte)1); }
    for (int rep = 0; rep < 6; rep++) {
      long t0 = System.nanoTime();
      for (int k = 0; k < 240; k++) segs[k % N].fill((byte) 0);
      long t1 = System.nanoTime();
      for (int k = 0; k < 240; k++) { MemorySegment r = (MemorySegment) memset.invokeExact(segs[k % N], 0, B); }
      long t2 = System.nanoTime();
      System.out.printf("fill %.1f us  memset %.1f us%n", (t1-t0)/240/1e3, (t2-t1)/240/1e3);
    }
  }
}
