package io.seqpar.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.seqpar.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class NpyTest {
  @TempDir Path dir;

  @Test
  void roundTripsFloat32Float64Int32WithNumpyCompatibleHeader() throws IOException {
    final float[] f = {1.5f, -2f, 3.25f, 0f, Float.MIN_NORMAL, 7f};
    Npy.writeFloat32(dir.resolve("f.npy"), new int[] {2, 3}, f);
    final NpyArray rf = Npy.read(dir.resolve("f.npy"));
    assertArrayEquals(new int[] {2, 3}, rf.shape());
    assertArrayEquals(f, rf.toFloatArray());

    final double[] d = {Math.PI, -1e-300, 42};
    Npy.writeFloat64(dir.resolve("d.npy"), new int[] {3}, d);
    assertArrayEquals(d, Npy.read(dir.resolve("d.npy")).toDoubleArray());

    Npy.writeInt32(dir.resolve("i.npy"), new int[] {}, new int[] {-7});
    final NpyArray ri = Npy.read(dir.resolve("i.npy"));
    assertArrayEquals(new int[] {}, ri.shape());
    assertArrayEquals(new int[] {-7}, ri.toIntArray());

    final byte[] bytes = Files.readAllBytes(dir.resolve("f.npy"));
    final String header = new String(bytes, 10, 118, StandardCharsets.US_ASCII);
    assertThat(header).startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    assertThat((bytes.length - 24) % 64).isZero(); // header padded to 64 bytes, 6 floats of data
    assertThat(Files.list(dir).map(p -> p.getFileName().toString()))
        .allMatch(n -> n.endsWith(".npy")); // no temp files left behind
  }

  @Test
  void readsTheOracleFiles() {
    final Path q =
        Path.of(
            System.getProperty("seqpar.oracle.dir", "../shared/oracle"),
            "vectors/gla_B2_H1_T7_dk16_dv16/q.npy");
    final NpyArray a = Npy.read(q);
    assertArrayEquals(new int[] {2, 1, 7, 16}, a.shape());
    assertThat(a.dtype()).isEqualTo(NpyDType.FLOAT32);
  }

  @Test
  void rejectsTruncatedData() throws IOException {
    Npy.writeFloat32(dir.resolve("t.npy"), new int[] {4, 4}, new float[16]);
    final byte[] b = Files.readAllBytes(dir.resolve("t.npy"));
    Files.write(dir.resolve("t.npy"), Arrays.copyOf(b, b.length - 5));
    final InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> Npy.read(dir.resolve("t.npy")));
    assertThat(e.getMessage()).contains("t.npy").contains("truncated").contains("[4, 4]");
  }

  @Test
  void rejectsBigEndianFortranOrderOtherVersionsAndGarbage() throws IOException {
    write("be.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, 1);
    assertThat(
            assertThrows(InvalidInputException.class, () -> Npy.read(dir.resolve("be.npy")))
                .getMessage())
        .contains("be.npy")
        .contains("'>f4'")
        .contains("allowed");
    write("fo.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8, 1);
    assertThat(
            assertThrows(InvalidInputException.class, () -> Npy.read(dir.resolve("fo.npy")))
                .getMessage())
        .contains("fortran_order");
    write("v2.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, 2);
    assertThat(
            assertThrows(InvalidInputException.class, () -> Npy.read(dir.resolve("v2.npy")))
                .getMessage())
        .contains("version 2.0");
    write("obj.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 8, 1);
    assertThat(
            assertThrows(InvalidInputException.class, () -> Npy.read(dir.resolve("obj.npy")))
                .getMessage())
        .contains("'|O'");
    Files.writeString(dir.resolve("txt.npy"), "hello world, not numpy");
    assertThat(
            assertThrows(InvalidInputException.class, () -> Npy.read(dir.resolve("txt.npy")))
                .getMessage())
        .contains("magic");
    Files.write(dir.resolve("short.npy"), new byte[] {(byte) 0x93, 'N'});
    assertThat(
            assertThrows(InvalidInputException.class, () -> Npy.read(dir.resolve("short.npy")))
                .getMessage())
        .contains("shorter");
  }

  private void write(final String name, final String dict, final int dataBytes, final int major)
      throws IOException {
    final ByteBuffer b = ByteBuffer.allocate(10 + 118 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0}).putShort((short) 118);
    final byte[] h =
        (dict + " ".repeat(117 - dict.length()) + "\n").getBytes(StandardCharsets.US_ASCII);
    b.put(h);
    Files.write(dir.resolve(name), b.array());
  }
}
