package io.seqpar.worker.data;

import io.seqpar.InvalidInputException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * Raw bytes (e.g. UTF-8 text) as tokens 0..255, memory-mapped: byte i is token i. Needs a
 * vocabulary of at least 256.
 */
public final class ByteFileSource implements TokenSource {
  private final Path file;
  private final MappedFile map;

  public ByteFileSource(final Path file, final int vocab) {
    if (vocab < 256) {
      throw new InvalidInputException(
          file + ": byte-level data needs vocab >= 256, the model has vocab=" + vocab);
    }
    this.file = file;
    this.map = new MappedFile(file);
  }

  @Override
  public String name() {
    return file.toString();
  }

  @Override
  public long length() {
    return map.data().byteSize();
  }

  @Override
  public void read(final long start, final int[] dst, final int off, final int count) {
    for (int i = 0; i < count; i++) {
      dst[off + i] = Byte.toUnsignedInt(map.data().get(ValueLayout.JAVA_BYTE, start + i));
    }
  }

  /** Bytes are ids 0..255: nothing to scan when {@code vocab >= 256}. */
  @Override
  public long firstOutside(final long start, final long count, final int vocab) {
    if (vocab >= 256) {
      return -1;
    }
    for (long i = 0; i < count; i++) {
      if (Byte.toUnsignedInt(map.data().get(ValueLayout.JAVA_BYTE, start + i)) >= vocab) {
        return start + i;
      }
    }
    return -1;
  }

  @Override
  public void close() {
    map.close();
  }
}
