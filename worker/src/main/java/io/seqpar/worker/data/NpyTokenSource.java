package io.seqpar.worker.data;

import io.seqpar.InvalidInputException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 1-D {@code .npy} of little-endian int32 token ids ({@code <i4}, C order, format 1.0),
 * memory-mapped: only the header is parsed up front, and only the positions a rank reads are
 * touched. An id outside {@code [0, vocab)} is refused when read, naming the file and the index.
 */
public final class NpyTokenSource implements TokenSource {
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
  private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
  private static final int LANES = INTS.length();
  private static final ValueLayout.OfInt LE_INT =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final Path file;
  private final int vocab;
  private final MappedFile map;
  private final long dataOffset;
  private final long length;

  public NpyTokenSource(final Path file, final int vocab) {
    this.file = file;
    this.vocab = vocab;
    this.map = new MappedFile(file);
    try {
      final MemorySegment d = map.data();
      final long size = d.byteSize();
      if (size < 10
          || d.get(ValueLayout.JAVA_BYTE, 0) != (byte) 0x93
          || d.get(ValueLayout.JAVA_BYTE, 1) != 'N') {
        throw bad("not a .npy file (magic \\x93NUMPY missing)");
      }
      if (d.get(ValueLayout.JAVA_BYTE, 6) != 1 || d.get(ValueLayout.JAVA_BYTE, 7) != 0) {
        throw bad(
            "format version "
                + d.get(ValueLayout.JAVA_BYTE, 6)
                + "."
                + d.get(ValueLayout.JAVA_BYTE, 7)
                + " (allowed: 1.0)");
      }
      final int headerLen =
          Short.toUnsignedInt(
              d.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8));
      if (10L + headerLen > size) {
        throw bad(
            "header length " + headerLen + " runs past the end of the " + size + "-byte file");
      }
      final String header =
          new String(
              d.asSlice(10, headerLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
      final String descr = group(DESCR, header, "descr");
      if (!descr.equals("<i4")) {
        throw bad("dtype " + descr + " (allowed: <i4, little-endian int32 token ids)");
      }
      if (!group(FORTRAN, header, "fortran_order").equals("False")) {
        throw bad("fortran_order True (allowed: False)");
      }
      final String[] dims = group(SHAPE, header, "shape").replace(" ", "").split(",");
      if (dims.length != 1 || dims[0].isEmpty()) {
        throw bad("shape (" + group(SHAPE, header, "shape") + ") (allowed: 1-D (n,))");
      }
      this.length = Long.parseLong(dims[0]);
      this.dataOffset = 10L + headerLen;
      if (size - dataOffset != length * 4) {
        throw bad(
            "shape ("
                + length
                + ",) of <i4 needs "
                + length * 4
                + " data bytes, the file has "
                + (size - dataOffset));
      }
    } catch (final RuntimeException e) {
      map.close();
      throw e;
    }
  }

  @Override
  public String name() {
    return file.toString();
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public void read(final long start, final int[] dst, final int off, final int count) {
    for (int i = 0; i < count; i++) {
      final int id = map.data().get(LE_INT, dataOffset + (start + i) * 4);
      if (id < 0 || id >= vocab) {
        throw bad(
            "token id "
                + id
                + " at index "
                + (start + i)
                + " is outside the vocabulary [0, "
                + vocab
                + ")");
      }
      dst[off + i] = id;
    }
  }

  @Override
  public int idAt(final long index) {
    return map.data().get(LE_INT, dataOffset + index * 4);
  }

  /**
   * Scans the mapped ids {@link #LANES} at a time: one unsigned compare {@code id >=u vocab} flags
   * both negative ids and ids past the vocabulary; the first flagged vector is then searched one id
   * at a time.
   */
  @Override
  public long firstOutside(final long start, final long count, final int vocab) {
    if (start < 0 || count < 0 || start + count > length) {
      throw new IndexOutOfBoundsException(
          "[" + start + ", " + (start + count) + ") outside [0, " + length + ")");
    }
    final MemorySegment d = map.data();
    final long base = dataOffset + start * 4;
    final long vectorEnd = count - count % LANES;
    long i = 0;
    for (; i < vectorEnd; i += LANES) {
      final IntVector v =
          IntVector.fromMemorySegment(INTS, d, base + i * 4, ByteOrder.LITTLE_ENDIAN);
      if (v.compare(VectorOperators.UGE, vocab).anyTrue()) {
        break;
      }
    }
    for (; i < count; i++) {
      final int id = d.get(LE_INT, base + i * 4);
      if (id < 0 || id >= vocab) {
        return start + i;
      }
    }
    return -1;
  }

  @Override
  public void close() {
    map.close();
  }

  private String group(final Pattern p, final String header, final String field) {
    final Matcher m = p.matcher(header);
    if (!m.find()) {
      throw bad("header has no '" + field + "': " + header.trim());
    }
    return m.group(1);
  }

  private InvalidInputException bad(final String problem) {
    return new InvalidInputException(file + ": " + problem);
  }
}
