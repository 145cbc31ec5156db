/*
 * Diagnostic, not part of the build (notes.txt): the least time any exclusive scan of P states can
 * take on this machine, with no messages, no synchronization and no other process in the way.
 * One process holds all P ranks' buffers, laid out as the bench lays them out (one head, rows of
 * 256 floats, 4 MiB per rank), and does only the loads and stores a scan has to do.
 *
 *   chain : All-Scan's critical path in one thread: out_1 = ΔS_0, then
 *           out_{j+1} = exp(logΓ_j) ⊙ out_j + ΔS_j for j = 1..P−2 (rank 0's zero fill is done
 *           before the clock starts, as seqpar overlaps it with the first hop);
 *   split : the same results by both cores at once, each thread owning half the rows of every
 *           rank (a row's scan over ranks runs in a 32-row tile that stays in L1), zero fill
 *           included — the schedule that needs no pipeline at all.
 * Memory: "shm" maps each buffer from a file in /dev/shm, like seqpar's shared windows (4 KiB
 * pages: this host's shmem_enabled is "never"); "huge" is anonymous memory with MADV_HUGEPAGE.
 *
 *   J=/usr/lib/jvm/temurin-25-jdk-amd64/bin
 *   $J/javac --add-modules jdk.incubator.vector -d /tmp/floor2 ScanFloor.java
 *   $J/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp /tmp/floor2 \
 *       ScanFloor P chain|split shm|huge [iters]
 * Prints: P, variant, memory, median / p10 / p90 µs over the timed iterations (20 warm-up).
 */
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

public class ScanFloor {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final ByteOrder N = ByteOrder.nativeOrder();
  static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  static final long BYTES = 4L << 20;
  static final int DV = 256;
  static final int ROWS = (int) (BYTES / 4 / DV);
  static final int TILE = 32;
  static final int WARMUP = 20;

  public static void main(String[] a) throws Throwable {
    final int p = Integer.parseInt(a[0]);
    final String variant = a[1];
    final boolean huge = a[2].equals("huge");
    final int iters = a.length > 3 ? Integer.parseInt(a[3]) : 100;
    final Arena arena = Arena.ofShared();
    final MemorySegment[] ds = new MemorySegment[p], out = new MemorySegment[p], lg = new MemorySegment[p];
    for (int j = 0; j < p; j++) {
      ds[j] = buffer(arena, huge, BYTES, "ds" + j);
      out[j] = buffer(arena, huge, BYTES, "out" + j);
      lg[j] = arena.allocate(ROWS * 4L, 64);
      for (long i = 0; i < BYTES / 4; i++) ds[j].setAtIndex(F, i, 1e-3f * (i % 97));
      for (int r = 0; r < ROWS; r++) lg[j].setAtIndex(F, r, -0.01f * (r % 7));
    }
    final int threads = variant.equals("split") ? 2 : 1;
    final long[][] ns = new long[threads][WARMUP + iters];
    final CyclicBarrier barrier = new CyclicBarrier(threads);
    final Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      final int id = t;
      ts[t] = new Thread(() -> {
        final MemorySegment acc = Arena.ofAuto().allocate((long) TILE * DV * 4, 64);
        for (int it = 0; it < WARMUP + iters; it++) {
          await(barrier);
          if (threads == 1) out[0].fill((byte) 0);
          final long t0 = System.nanoTime();
          if (threads == 1) {
            chain(p, ds, out, lg);
          } else {
            split(p, ds, out, lg, acc, id * ROWS / threads, (id + 1) * ROWS / threads);
          }
          ns[id][it] = System.nanoTime() - t0;
          await(barrier);
        }
      });
      ts[t].start();
    }
    for (final Thread t : ts) t.join();
    final long[] max = new long[iters];
    for (int it = 0; it < iters; it++) {
      for (int t = 0; t < threads; t++) max[it] = Math.max(max[it], ns[t][WARMUP + it]);
    }
    Arrays.sort(max);
    System.out.printf("P=%d variant=%s memory=%s median_us=%.0f p10_us=%.0f p90_us=%.0f%n", p, variant,
        huge ? "huge" : "shm", max[iters / 2] / 1e3, max[iters / 10] / 1e3, max[iters * 9 / 10] / 1e3);
    for (int j = 0; j < p; j++) {
      Files.deleteIfExists(path("ds" + j));
      Files.deleteIfExists(path("out" + j));
    }
  }

  static void chain(int p, MemorySegment[] ds, MemorySegment[] out, MemorySegment[] lg) {
    if (p < 2) return;
    MemorySegment.copy(ds[0], 0, out[1], 0, BYTES);
    for (int j = 1; j < p - 1; j++) {
      for (int r = 0; r < ROWS; r++) {
        final FloatVector g = FloatVector.broadcast(S, (float) Math.exp(lg[j].getAtIndex(F, r)));
        final long o = (long) r * DV * 4;
        for (int c = 0; c < DV; c += S.length()) {
          final long b = o + c * 4L;
          FloatVector.fromMemorySegment(S, out[j], b, N).mul(g)
              .add(FloatVector.fromMemorySegment(S, ds[j], b, N)).intoMemorySegment(out[j + 1], b, N);
        }
      }
    }
  }

  static void split(int p, MemorySegment[] ds, MemorySegment[] out, MemorySegment[] lg, MemorySegment acc,
      int rowFrom, int rowTo) {
    for (int tf = rowFrom; tf < rowTo; tf += TILE) {
      final int tt = Math.min(rowTo, tf + TILE);
      final long off = (long) tf * DV * 4, n = (long) (tt - tf) * DV * 4;
      out[0].asSlice(off, n).fill((byte) 0);
      if (p < 2) continue;
      MemorySegment.copy(ds[0], off, acc, 0, n);
      for (int j = 1; j < p; j++) {
        MemorySegment.copy(acc, 0, out[j], off, n);
        if (j == p - 1) break;
        for (int r = tf; r < tt; r++) {
          final FloatVector g = FloatVector.broadcast(S, (float) Math.exp(lg[j].getAtIndex(F, r)));
          final long ao = (long) (r - tf) * DV * 4, go = (long) r * DV * 4;
          for (int c = 0; c < DV; c += S.length()) {
            FloatVector.fromMemorySegment(S, acc, ao + c * 4L, N).mul(g)
                .add(FloatVector.fromMemorySegment(S, ds[j], go + c * 4L, N)).intoMemorySegment(acc, ao + c * 4L, N);
          }
        }
      }
    }
  }

  static void await(CyclicBarrier b) {
    try {
      b.await();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Path path(String name) {
    return Path.of("/dev/shm/scanfloor-" + ProcessHandle.current().pid() + "-" + name);
  }

  static MemorySegment buffer(Arena arena, boolean huge, long bytes, String name) throws Throwable {
    if (huge) {
      final Linker l = Linker.nativeLinker();
      final MethodHandle mmap = l.downcallHandle(l.defaultLookup().find("mmap").get(),
          FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
              ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
      final MethodHandle madvise = l.downcallHandle(l.defaultLookup().find("madvise").get(),
          FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
      final long hp = 2L << 20;
      final long base = (long) mmap.invokeExact(0L, bytes + hp, 3, 0x22, -1, 0L); // RW, private|anon
      final long aligned = (base + hp - 1) & -hp;
      final int ignored = (int) madvise.invokeExact(aligned, bytes, 14); // MADV_HUGEPAGE
      final MemorySegment m = MemorySegment.ofAddress(aligned).reinterpret(bytes);
      m.fill((byte) 0);
      return m;
    }
    final Path file = path(name);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      final MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
      m.fill((byte) 0);
      return m;
    }
  }
}
