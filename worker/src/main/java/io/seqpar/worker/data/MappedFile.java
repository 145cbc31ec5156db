package io.seqpar.worker.data;

import io.seqpar.InvalidInputException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A read-only memory map of a whole file; pages are read by the OS only when touched. */
final class MappedFile implements AutoCloseable {
  private final Arena arena;
  private final MemorySegment data;

  MappedFile(final Path file) {
    this.arena = Arena.ofShared();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      this.data = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
    } catch (final IOException e) {
      arena.close();
      throw new InvalidInputException(file + ": cannot read data file: " + e.getMessage(), e);
    }
  }

  MemorySegment data() {
    return data;
  }

  @Override
  public void close() {
    arena.close();
  }
}
