/* Diagnostic, not part of the build (notes.txt item 6): zero a cold 4 MiB /dev/shm mapping by copies
 * from a 64 KiB zero block (the old Zero.fill) or by MemorySegment.fill, alternating.
 *   J=/usr/lib/jvm/temurin-25-jdk-amd64/bin; $J/javac -d /tmp/fill Fill.java; $J/java -cp /tmp/fill Fill */
import java.lang.foreign.*;
import java.nio.channels.FileChannel;
import java.nio.file.*;
public class Fill {
  static final MemorySegment ZEROS = Arena.global().allocate(65536, 64);
  static void zero(MemorySegment s, long bytes) { for (long o = 0; o < bytes; o += 65536) MemorySegment.copy(ZEROS, 0, s, o, Math.min(65536, bytes - o)); }
  public static void main(String[] a) throws Exception {
    long bytes = 4L << 20; int sets = 12;
    MemorySegment[] m = new MemorySegment[sets];
    Arena ar = Arena.ofShared();
    for (int i = 0; i < sets; i++) {
      Path p = Path.of("/dev/shm/filltest-" + i);
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        ch.truncate(0); ch.write(java.nio.ByteBuffer.allocate(1), bytes - 1);
        m[i] = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, ar); m[i].fill((byte) 1);
      }
      Files.delete(p);
    }
    for (int rep = 0; rep < 8; rep++) {
      long z = 0, f = 0;
      for (int it = 0; it < 48; it++) {
        MemorySegment s = m[it % sets];
        long t0 = System.nanoTime();
        if ((it & 1) == 0) { zero(s, bytes); z += System.nanoTime() - t0; } else { s.fill((byte) 0); f += System.nanoTime() - t0; }
      }
      System.out.printf("rep %d  copy-from-zeros %.0f us  fill %.0f us%n", rep, z / 24 / 1e3, f / 24 / 1e3);
    }
  }
}
