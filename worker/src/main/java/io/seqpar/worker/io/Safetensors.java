package io.seqpar.worker.io;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.seqpar.InvalidInputException;
import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.Shapes;
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
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format (float32 only), the weight format PyTorch users exchange:
 *
 * <pre>
 *   bytes 0..7     N, unsigned 64-bit little-endian: the header length
 *   bytes 8..8+N   UTF-8 JSON: {"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
 *                               ..., "__metadata__": {"key": "value"}}   (optional metadata)
 *   then           the data buffer; tensor bytes are [8 + N + b, 8 + N + e), little-endian, C order
 * </pre>
 *
 * Reading validates everything before copying a byte: N against the file size, the JSON, every
 * entry's fields, dtype F32, {@code e − b = 4·count(shape)}, and that the offsets tile the buffer
 * exactly (sorted, contiguous from 0, non-overlapping, ending at the end of the file). Failures are
 * {@link InvalidInputException}s naming the file and the problem. Writing pads the header with
 * spaces to a multiple of 8 bytes, writes to a temporary name in the same directory, forces it to
 * disk and renames it over the target.
 */
public final class Safetensors {
  /** Largest header accepted (the reference implementation's limit). */
  public static final long MAX_HEADER_BYTES = 100L << 20;

  private static final String METADATA = "__metadata__";
  private static final ValueLayout.OfFloat LE_FLOAT =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private Safetensors() {}

  /** One tensor's header entry; offsets are relative to the start of the data buffer. */
  public record Entry(String name, String dtype, int[] shape, long begin, long end) {}

  /** A validated header: entries in file order, metadata, and where the data buffer starts. */
  public record Header(Map<String, Entry> entries, Map<String, String> metadata, long dataStart) {}

  /** Reads and validates the header of {@code file}. */
  public static Header readHeader(final Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return readHeader(file, ch);
    } catch (final IOException e) {
      throw new InvalidInputException(
          file + ": cannot read safetensors file: " + e.getMessage(), e);
    }
  }

  /**
   * Copies every tensor of {@code file} into the view of the same name in {@code into}: each view
   * must be present in the file with dtype F32 and the same shape, and the file must hold no other
   * tensors ({@code --init-from}).
   */
  public static void load(final Path file, final Map<String, FloatView> into) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        Arena arena = Arena.ofConfined()) {
      final Header h = readHeader(file, ch);
      final Map<String, int[]> shapes = new LinkedHashMap<>();
      into.forEach((n, v) -> shapes.put(n, v.shape()));
      checkNamesAndShapes(file, h, shapes);
      final MemorySegment data = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
      for (final FloatView v : into.values()) {
        final Entry e = h.entries().get(v.name());
        MemorySegment.copy(
            data,
            LE_FLOAT,
            h.dataStart() + e.begin(),
            v.segment(),
            ValueLayout.JAVA_FLOAT,
            0,
            v.count());
      }
    } catch (final IOException e) {
      throw new InvalidInputException(
          file + ": cannot read safetensors file: " + e.getMessage(), e);
    }
  }

  /**
   * Refuses {@code file} unless it could be loaded into tensors of exactly these names and shapes
   * (what {@link #load} checks) and every value is finite; copies nothing. Runs at memory speed
   * over a read-only map, for a check before training starts.
   *
   * @throws InvalidInputException naming the file and the first problem (for a value: the tensor,
   *     the element index and the value)
   */
  public static void check(final Path file, final Map<String, int[]> shapes) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        Arena arena = Arena.ofConfined()) {
      final Header h = readHeader(file, ch);
      checkNamesAndShapes(file, h, shapes);
      final MemorySegment data = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
      for (final Entry e : h.entries().values()) {
        final long base = h.dataStart() + e.begin();
        final long n = (e.end() - e.begin()) / Float.BYTES;
        for (long i = 0; i < n; i++) {
          final float x = data.get(LE_FLOAT, base + i * Float.BYTES);
          if (!Float.isFinite(x)) {
            throw bad(file, "tensor '" + e.name() + "' holds " + x + " at element " + i);
          }
        }
      }
    } catch (final IOException e) {
      throw new InvalidInputException(
          file + ": cannot read safetensors file: " + e.getMessage(), e);
    }
  }

  /** Every expected tensor present with its shape, and no other. */
  private static void checkNamesAndShapes(
      final Path file, final Header h, final Map<String, int[]> shapes) {
    final List<String> missing = new ArrayList<>();
    for (final Map.Entry<String, int[]> want : shapes.entrySet()) {
      final Entry e = h.entries().get(want.getKey());
      if (e == null) {
        missing.add(want.getKey());
      } else if (!Arrays.equals(e.shape(), want.getValue())) {
        throw bad(
            file,
            "tensor '"
                + want.getKey()
                + "' has shape "
                + Shapes.format(e.shape())
                + ", the model expects "
                + Shapes.format(want.getValue()));
      }
    }
    if (!missing.isEmpty()) {
      throw bad(
          file,
          "missing " + names(missing) + " (the file holds " + h.entries().size() + " tensors)");
    }
    final List<String> extra = new ArrayList<>();
    for (final String name : h.entries().keySet()) {
      if (!shapes.containsKey(name)) {
        extra.add(name);
      }
    }
    if (!extra.isEmpty()) {
      throw bad(file, "unexpected " + names(extra) + " not in the model");
    }
  }

  /**
   * Writes {@code tensors} (in map order, contiguous) and {@code metadata} to {@code file}
   * atomically ({@code --save}).
   */
  public static void write(
      final Path file, final Map<String, FloatView> tensors, final Map<String, String> metadata) {
    final JsonObject json = new JsonObject();
    if (!metadata.isEmpty()) {
      final JsonObject md = new JsonObject();
      metadata.forEach(md::addProperty);
      json.add(METADATA, md);
    }
    long offset = 0;
    for (final FloatView v : tensors.values()) {
      final JsonObject t = new JsonObject();
      t.addProperty("dtype", "F32");
      final JsonArray shape = new JsonArray();
      for (final int d : v.shape()) {
        shape.add(d);
      }
      t.add("shape", shape);
      final JsonArray offsets = new JsonArray();
      offsets.add(offset);
      offsets.add(offset + v.count() * Float.BYTES);
      t.add("data_offsets", offsets);
      json.add(v.name(), t);
      offset += v.count() * Float.BYTES;
    }
    final byte[] raw = new Gson().toJson(json).getBytes(StandardCharsets.UTF_8);
    final int padded = (raw.length + 7) / 8 * 8;
    final ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(raw);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    head.flip();
    final Path dir = file.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        writeFully(ch, head);
        final ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        final MemorySegment chunkSeg = MemorySegment.ofBuffer(chunk);
        final int per = chunk.capacity() / Float.BYTES;
        for (final FloatView v : tensors.values()) {
          for (long i = 0; i < v.count(); i += per) {
            final int n = (int) Math.min(per, v.count() - i);
            MemorySegment.copy(
                v.segment(), ValueLayout.JAVA_FLOAT, i * Float.BYTES, chunkSeg, LE_FLOAT, 0, n);
            chunk.clear().limit(n * Float.BYTES);
            writeFully(ch, chunk);
          }
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
      throw new InvalidInputException(
          file + ": cannot write safetensors file: " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (final IOException ignored) {
          // best effort: the temporary name never shadows the target
        }
      }
    }
  }

  // ------------------------------------------------------------------------------ header

  private static Header readHeader(final Path file, final FileChannel ch) throws IOException {
    final long size = ch.size();
    if (size < 8) {
      throw bad(file, "file is " + size + " bytes, shorter than the 8-byte header length");
    }
    final ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(file, ch, lenBuf, 0);
    final long n = lenBuf.getLong(0);
    if (n < 2 || n > MAX_HEADER_BYTES) {
      throw bad(
          file,
          "header length "
              + Long.toUnsignedString(n)
              + " (allowed: 2.."
              + MAX_HEADER_BYTES
              + " bytes)");
    }
    if (n > size - 8) {
      throw bad(
          file,
          "truncated header: header length "
              + n
              + " runs past the end of the "
              + size
              + "-byte file");
    }
    final ByteBuffer hb = ByteBuffer.allocate((int) n);
    readFully(file, ch, hb, 8);
    final JsonObject json;
    try {
      final JsonElement root =
          JsonParser.parseString(new String(hb.array(), StandardCharsets.UTF_8));
      if (!root.isJsonObject()) {
        throw bad(file, "header is not a JSON object");
      }
      json = root.getAsJsonObject();
    } catch (final JsonParseException e) {
      throw bad(file, "header is not valid JSON (" + e.getMessage() + ")");
    }
    final long bufferBytes = size - 8 - n;
    final Map<String, Entry> entries = new LinkedHashMap<>();
    final Map<String, String> metadata = new LinkedHashMap<>();
    for (final Map.Entry<String, JsonElement> e : json.entrySet()) {
      if (e.getKey().equals(METADATA)) {
        parseMetadata(file, e.getValue(), metadata);
      } else {
        entries.put(e.getKey(), parseEntry(file, e.getKey(), e.getValue(), bufferBytes));
      }
    }
    checkTiling(file, entries, bufferBytes);
    return new Header(entries, metadata, 8 + n);
  }

  private static Entry parseEntry(
      final Path file, final String name, final JsonElement el, final long bufferBytes) {
    if (!el.isJsonObject()) {
      throw bad(file, "tensor '" + name + "': entry is not a JSON object");
    }
    final JsonObject o = el.getAsJsonObject();
    final JsonElement dt = o.get("dtype");
    if (dt == null || !dt.isJsonPrimitive()) {
      throw bad(file, "tensor '" + name + "': no dtype");
    }
    final String dtype = dt.getAsString();
    if (!dtype.equals("F32")) {
      throw bad(file, "tensor '" + name + "' has dtype " + dtype + " (allowed: F32)");
    }
    final long[] shapeL = longs(file, name, "shape", o.get("shape"), -1);
    final int[] shape = new int[shapeL.length];
    for (int i = 0; i < shape.length; i++) {
      if (shapeL[i] > Integer.MAX_VALUE) {
        throw bad(file, "tensor '" + name + "': dimension " + shapeL[i] + " too large");
      }
      shape[i] = (int) shapeL[i];
    }
    final long[] off = longs(file, name, "data_offsets", o.get("data_offsets"), 2);
    final long count = Shapes.count(shape);
    if (off[0] > off[1] || off[1] > bufferBytes) {
      throw bad(
          file,
          "tensor '"
              + name
              + "': data_offsets ["
              + off[0]
              + ", "
              + off[1]
              + "] outside the "
              + bufferBytes
              + "-byte data buffer");
    }
    if (off[1] - off[0] != count * Float.BYTES) {
      throw bad(
          file,
          "tensor '"
              + name
              + "': data_offsets ["
              + off[0]
              + ", "
              + off[1]
              + "] hold "
              + (off[1] - off[0])
              + " bytes, shape "
              + Shapes.format(shape)
              + " of F32 needs "
              + count * Float.BYTES);
    }
    return new Entry(name, dtype, shape, off[0], off[1]);
  }

  private static long[] longs(
      final Path file,
      final String name,
      final String field,
      final JsonElement el,
      final int expectLen) {
    if (el == null
        || !el.isJsonArray()
        || (expectLen >= 0 && el.getAsJsonArray().size() != expectLen)) {
      throw bad(
          file,
          "tensor '"
              + name
              + "': "
              + field
              + " is missing or not "
              + (expectLen >= 0
                  ? "an array of " + expectLen + " integers"
                  : "an array of integers"));
    }
    final JsonArray a = el.getAsJsonArray();
    final long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      final JsonElement x = a.get(i);
      final double d =
          x.isJsonPrimitive() && x.getAsJsonPrimitive().isNumber() ? x.getAsDouble() : Double.NaN;
      if (!(d >= 0) || d != Math.rint(d) || d > 1e18) {
        throw bad(
            file,
            "tensor '"
                + name
                + "': "
                + field
                + "["
                + i
                + "]="
                + x
                + " (allowed: a non-negative integer)");
      }
      out[i] = x.getAsLong();
    }
    return out;
  }

  private static void parseMetadata(
      final Path file, final JsonElement el, final Map<String, String> out) {
    if (!el.isJsonObject()) {
      throw bad(file, METADATA + " is not a JSON object");
    }
    for (final Map.Entry<String, JsonElement> e : el.getAsJsonObject().entrySet()) {
      if (!e.getValue().isJsonPrimitive()) {
        throw bad(file, METADATA + "." + e.getKey() + " is not a string");
      }
      out.put(e.getKey(), e.getValue().getAsString());
    }
  }

  /** Offsets sorted by begin must run 0 → bufferBytes with no gap and no overlap. */
  private static void checkTiling(
      final Path file, final Map<String, Entry> entries, final long bufferBytes) {
    final List<Entry> sorted = new ArrayList<>(entries.values());
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long expect = 0;
    String prev = null;
    for (final Entry e : sorted) {
      if (e.begin() != expect) {
        throw bad(
            file,
            "tensor '"
                + e.name()
                + "' starts at data offset "
                + e.begin()
                + (e.begin() < expect
                    ? ", overlapping '" + prev + "' which ends at " + expect
                    : ", leaving a gap after offset " + expect)
                + " (tensors must tile the data buffer)");
      }
      expect = e.end();
      prev = e.name();
    }
    if (expect != bufferBytes) {
      throw bad(
          file,
          "data buffer is "
              + bufferBytes
              + " bytes but the tensors cover "
              + expect
              + (bufferBytes > expect ? " (trailing bytes)" : ""));
    }
  }

  private static void readFully(
      final Path file, final FileChannel ch, final ByteBuffer b, final long pos)
      throws IOException {
    long p = pos;
    while (b.hasRemaining()) {
      final int r = ch.read(b, p);
      if (r < 0) {
        throw bad(file, "unexpected end of file at byte " + p);
      }
      p += r;
    }
  }

  private static void writeFully(final FileChannel ch, final ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /** "tensor 'a'" or "tensors ['a', 'b']". */
  private static String names(final List<String> names) {
    return names.size() == 1
        ? "tensor '" + names.get(0) + "'"
        : "tensors " + names.stream().map(s -> "'" + s + "'").toList();
  }

  private static InvalidInputException bad(final Path file, final String problem) {
    return new InvalidInputException(file + ": " + problem);
  }
}
