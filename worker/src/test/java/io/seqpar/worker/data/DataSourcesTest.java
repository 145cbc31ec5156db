package io.seqpar.worker.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.InvalidInputException;
import io.seqpar.tensor.Npy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class DataSourcesTest {
  @TempDir Path dir;

  @Test
  void ranksGetTheirSliceWithGloballyShiftedLabels() throws IOException {
    final Path f = dir.resolve("text.txt");
    final String text = "abcdefghijklmnopqrstuvwxyz0123456789"; // 36 bytes: 3 sequences of 10 + 6
    Files.writeString(f, text, StandardCharsets.UTF_8);
    try (ByteFileSource src = new ByteFileSource(f, 256)) {
      final SequenceBatcher r0 = new SequenceBatcher(src, 10, 2, 0, 5);
      final SequenceBatcher r1 = new SequenceBatcher(src, 10, 2, 5, 10);
      assertEquals(3, r0.sequences());
      final int[] t0 = new int[10];
      final int[] y0 = new int[10];
      final int[] t1 = new int[10];
      final int[] y1 = new int[10];
      // step 1, batch 2: sequences 2 and 0 (walk (s·B + b) mod S)
      r0.fill(1, t0, y0);
      r1.fill(1, t1, y1);
      assertArrayEquals(bytes("uvwxyabcde"), t0);
      assertArrayEquals(bytes("vwxyzbcdef"), y0);
      assertArrayEquals(bytes("z0123fghij"), t1);
      assertArrayEquals(bytes("01234ghijk"), y1);
      // rank 0's last target of a row is rank 1's first token of that row
      assertEquals(t1[0], y0[4]);
      assertEquals(t1[5], y0[9]);
    }
  }

  @Test
  void npyTokenIdsAreRangeCheckedWhereRead() {
    final Path f = dir.resolve("ids.npy");
    final int[] ids = new int[40];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = i % 7;
    }
    ids[33] = 300;
    Npy.writeInt32(f, new int[] {ids.length}, ids);
    try (NpyTokenSource src = new NpyTokenSource(f, 256)) {
      assertEquals(40, src.length());
      final int[] out = new int[30];
      src.read(0, out, 0, 30); // never touches index 33
      assertEquals(29 % 7, out[29]);
      final InvalidInputException e =
          assertThrows(InvalidInputException.class, () -> src.read(30, out, 0, 5));
      assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("token id 300 at index 33"), e.getMessage());
    }
  }

  @Test
  void npyWithTheWrongDtypeIsRefused() {
    final Path f = dir.resolve("f32.npy");
    Npy.writeFloat32(f, new int[] {4}, new float[4]);
    final InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> new NpyTokenSource(f, 256));
    assertTrue(e.getMessage().contains("dtype <f4"), e.getMessage());
  }

  @Test
  void dataShorterThanTheSequenceIsRefused() throws IOException {
    final Path f = dir.resolve("short.txt");
    Files.writeString(f, "tiny", StandardCharsets.UTF_8);
    try (ByteFileSource src = new ByteFileSource(f, 256)) {
      final InvalidInputException e =
          assertThrows(InvalidInputException.class, () -> new SequenceBatcher(src, 96, 1, 0, 96));
      assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("4 tokens, shorter than one sequence of 96"));
    }
  }

  @Test
  void syntheticIsDeterministicAndRecallsValuesThousandsOfTokensLater() {
    final int e = SyntheticSource.DEFAULT_EPISODE_TOKENS;
    try (SyntheticSource a = new SyntheticSource(3, 10L * e, e);
        SyntheticSource b = new SyntheticSource(3, 10L * e, e)) {
      final int[] x = new int[3 * e];
      final int[] y = new int[3 * e];
      a.read(5L * e, x, 0, x.length);
      b.read(7L * e, y, 0, e); // touch another episode first
      b.read(5L * e, y, 0, y.length);
      assertArrayEquals(x, y);
      for (int ep = 0; ep < 3; ep++) {
        final int base = ep * e;
        assertEquals('#', x[base]);
        assertEquals('\n', x[base + e - 1]);
        final Map<String, String> defined = new HashMap<>();
        for (int k = 0; k < SyntheticSource.PAIRS; k++) {
          final String s = str(x, base + 1 + 9 * k, 9);
          assertEquals('=', s.charAt(3), s);
          defined.put(s.substring(0, 3), s.substring(4, 8));
        }
        for (int k = 0; k < SyntheticSource.PAIRS; k++) {
          final int at = base + a.recallOffset() + 9 * k;
          final String s = str(x, at, 9);
          assertEquals('?', s.charAt(3), s);
          assertEquals(defined.get(s.substring(0, 3)), s.substring(4, 8), s);
          assertTrue(at - base > 3000, "recalled thousands of tokens after the definition");
        }
      }
      for (final int t : x) {
        assertTrue(t > 0 && t < 128, "ASCII");
      }
    }
  }

  private static int[] bytes(final String s) {
    return s.chars().toArray();
  }

  private static String str(final int[] a, final int off, final int n) {
    final StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append((char) a[off + i]);
    }
    return sb.toString();
  }
}
