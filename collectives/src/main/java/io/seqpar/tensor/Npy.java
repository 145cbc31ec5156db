package io.seqpar.tensor;

import io.seqpar.InvalidInputException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files, format version 1.0, little-endian {@code <f4}, {@code
 * <f8} and {@code <i4}, C order. Anything else (big-endian, Fortran order, other versions, object
 * arrays, a truncated file) is rejected with an {@link InvalidInputException} naming the file and
 * what was wrong.
 *
 * <pre>
 *   bytes 0..5   magic  \x93NUMPY
 *   bytes 6..7   version 01 00
 *   bytes 8..9   header length H, little-endian uint16
 *   bytes 10..   ASCII dict {'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }
 *                padded with spaces and a final '\n' so that 10 + H is a multiple of 64
 *   then         count * itemsize bytes of data
 * </pre>
 *
 * Writes go to a temporary file in the same directory, are forced to disk, then renamed, so a crash
 * never leaves a half-written array under the final name.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int PREAMBLE_BYTES = 10;
  private static final int ALIGN = 64;
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  /** Reads a file into a segment allocated from an automatic arena. */
  public static NpyArray read(final Path file) {
    return read(file, Arena.ofAuto());
  }

  /** Reads a file into a segment allocated from {@code arena}. */
  public static NpyArray read(final Path file, final Arena arena) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      final long size = ch.size();
      if (size < PREAMBLE_BYTES) {
        throw bad(file, "file is " + size + " bytes, shorter than the 10-byte .npy preamble");
      }
      final ByteBuffer pre = ByteBuffer.allocate(PREAMBLE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, pre, 0, file);
      for (int i = 0; i < MAGIC.length; i++) {
        if (pre.get(i) != MAGIC[i]) {
          throw bad(file, "not a .npy file (magic \\x93NUMPY missing)");
        }
      }
      final int major = pre.get(6);
      final int minor = pre.get(7);
      if (major != 1 || minor != 0) {
        throw bad(file, "format version " + major + "." + minor + " (allowed: 1.0)");
      }
      final int headerLen = Short.toUnsignedInt(pre.getShort(8));
      if (PREAMBLE_BYTES + (long) headerLen > size) {
        throw bad(
            file,
            "header length " + headerLen + " runs past the end of the " + size + "-byte file");
      }
      final ByteBuffer hdr = ByteBuffer.allocate(headerLen);
      readFully(ch, hdr, PREAMBLE_BYTES, file);
      final String header = new String(hdr.array(), StandardCharsets.US_ASCII);
      final NpyDType dtype = parseDType(file, header);
      final int[] shape = parseShape(file, header);
      final long count = Shapes.count(shape);
      final long dataBytes = Math.multiplyExact(count, dtype.itemBytes());
      final long dataOffset = PREAMBLE_BYTES + (long) headerLen;
      final long actual = size - dataOffset;
      if (actual != dataBytes) {
        throw bad(
            file,
            "shape "
                + Shapes.format(shape)
                + " of "
                + dtype.descr()
                + " needs "
                + dataBytes
                + " data bytes, the file has "
                + actual
                + (actual < dataBytes ? " (truncated)" : " (trailing bytes)"));
      }
      final MemorySegment data = arena.allocate(Math.max(1, dataBytes), ALIGN);
      long pos = 0;
      while (pos < dataBytes) {
        final int n = ch.read(data.asSlice(pos, dataBytes - pos).asByteBuffer(), dataOffset + pos);
        if (n < 0) {
          throw bad(file, "unexpected end of file after " + pos + " data bytes");
        }
        pos += n;
      }
      return new NpyArray(dtype, shape, data.asSlice(0, dataBytes));
    } catch (final IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** Writes float32 data (heap array) with the given shape. */
  public static void writeFloat32(final Path file, final int[] shape, final float[] data) {
    checkCount(file, shape, data.length);
    write(file, NpyDType.FLOAT32, shape, MemorySegment.ofArray(data), ValueLayout.JAVA_FLOAT);
  }

  /** Writes float64 data (heap array) with the given shape. */
  public static void writeFloat64(final Path file, final int[] shape, final double[] data) {
    checkCount(file, shape, data.length);
    write(file, NpyDType.FLOAT64, shape, MemorySegment.ofArray(data), ValueLayout.JAVA_DOUBLE);
  }

  /** Writes int32 data (heap array) with the given shape. */
  public static void writeInt32(final Path file, final int[] shape, final int[] data) {
    checkCount(file, shape, data.length);
    write(file, NpyDType.INT32, shape, MemorySegment.ofArray(data), ValueLayout.JAVA_INT);
  }

  /** Writes a float32 view (off-heap, native order) with its own shape. */
  public static void writeFloat32(final Path file, final FloatView view) {
    write(file, NpyDType.FLOAT32, view.shape(), view.segment(), ValueLayout.JAVA_FLOAT);
  }

  /** The header bytes (preamble + padded dict) for a dtype and shape. */
  static byte[] header(final NpyDType dtype, final int[] shape) {
    final StringBuilder dims = new StringBuilder();
    for (int i = 0; i < shape.length; i++) {
      dims.append(shape[i]).append(shape.length == 1 ? "," : (i + 1 < shape.length ? ", " : ""));
    }
    final String dict =
        "{'descr': '" + dtype.descr() + "', 'fortran_order': False, 'shape': (" + dims + "), }";
    final int unpadded = PREAMBLE_BYTES + dict.length() + 1;
    final int total = (unpadded + ALIGN - 1) / ALIGN * ALIGN;
    final int headerLen = total - PREAMBLE_BYTES;
    final ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) headerLen);
    b.put(dict.getBytes(StandardCharsets.US_ASCII));
    while (b.position() < total - 1) {
      b.put((byte) ' ');
    }
    b.put((byte) '\n');
    return b.array();
  }

  private static void write(
      final Path file,
      final NpyDType dtype,
      final int[] shape,
      final MemorySegment src,
      final ValueLayout srcLayout) {
    final long count = Shapes.count(shape);
    final long bytes = count * dtype.itemBytes();
    if (src.byteSize() < bytes) {
      throw new IllegalArgumentException(
          file + ": data holds " + src.byteSize() + " bytes, shape needs " + bytes);
    }
    final Path dir = file.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(header(dtype, shape)));
        final ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        final int per = chunk.capacity() / dtype.itemBytes();
        for (long i = 0; i < count; ) {
          final long n = Math.min(per, count - i);
          chunk.clear();
          final MemorySegment dst = MemorySegment.ofBuffer(chunk);
          // Copies element-wise with byte-order conversion: the source is native order.
          MemorySegment.copy(src, srcLayout, i * dtype.itemBytes(), dst, leLayout(dtype), 0, n);
          chunk.limit((int) (n * dtype.itemBytes()));
          while (chunk.hasRemaining()) {
            ch.write(chunk);
          }
          i += n;
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (final AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (final IOException e) {
      throw new InvalidInputException(file + ": cannot write: " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (final IOException ignored) {
          // best effort: the temp name never shadows a real result
        }
      }
    }
  }

  private static ValueLayout leLayout(final NpyDType dtype) {
    return switch (dtype) {
      case FLOAT32 -> NpyDType.LE_FLOAT;
      case FLOAT64 -> NpyDType.LE_DOUBLE;
      case INT32 -> NpyDType.LE_INT;
    };
  }

  private static NpyDType parseDType(final Path file, final String header) {
    final Matcher d = DESCR.matcher(header);
    if (!d.find()) {
      throw bad(file, "header has no 'descr': " + header.strip());
    }
    final NpyDType dtype = NpyDType.fromDescr(d.group(1));
    if (dtype == null) {
      throw bad(file, "dtype '" + d.group(1) + "' (allowed: '<f4', '<f8', '<i4')");
    }
    final Matcher f = FORTRAN.matcher(header);
    if (!f.find()) {
      throw bad(file, "header has no 'fortran_order': " + header.strip());
    }
    if (f.group(1).equals("True")) {
      throw bad(file, "fortran_order is True (allowed: C order only)");
    }
    return dtype;
  }

  private static int[] parseShape(final Path file, final String header) {
    final Matcher s = SHAPE.matcher(header);
    if (!s.find()) {
      throw bad(file, "header has no 'shape': " + header.strip());
    }
    final List<Integer> dims = new ArrayList<>();
    for (final String part : s.group(1).split(",")) {
      final String p = part.strip();
      if (p.isEmpty()) {
        continue;
      }
      try {
        final long v = Long.parseLong(p.endsWith("L") ? p.substring(0, p.length() - 1) : p);
        if (v < 0 || v > Integer.MAX_VALUE) {
          throw bad(file, "dimension " + v + " out of range [0, " + Integer.MAX_VALUE + "]");
        }
        dims.add((int) v);
      } catch (final NumberFormatException e) {
        throw bad(file, "shape entry '" + p + "' is not an integer");
      }
    }
    return dims.stream().mapToInt(Integer::intValue).toArray();
  }

  private static void readFully(
      final FileChannel ch, final ByteBuffer dst, final long pos, final Path file)
      throws IOException {
    long at = pos;
    while (dst.hasRemaining()) {
      final int n = ch.read(dst, at);
      if (n < 0) {
        throw bad(file, "unexpected end of file in the header");
      }
      at += n;
    }
  }

  private static void checkCount(final Path file, final int[] shape, final int length) {
    final long count = Shapes.count(shape);
    if (count != length) {
      throw new IllegalArgumentException(
          file + ": shape " + Shapes.format(shape) + " has " + count + " elements, data " + length);
    }
  }

  private static InvalidInputException bad(final Path file, final String what) {
    return new InvalidInputException(file + ": " + what);
  }
}
