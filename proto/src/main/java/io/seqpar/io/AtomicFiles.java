package io.seqpar.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The one way seqpar writes a small file that readers must never see half-written (ready files,
 * checkpoint manifests and cursors, calibrations): a temp name in the same directory, fsync, rename
 * over the target, fsync of the directory. A crash leaves the old file or the new one, and at worst
 * a stray {@code .tmp} that nothing reads.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes {@code bytes} to {@code target} atomically and durably (parents are created). */
  public static void write(final Path target, final byte[] bytes) throws IOException {
    final Path parent = target.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    final Path tmp = Files.createTempFile(parent, "." + target.getFileName() + ".", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        final ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (final AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp); // gone after the rename; removes the leftover after a failure
    }
    syncDirectory(parent);
  }

  /** Makes a rename durable (Linux allows fsync on a directory opened for reading). */
  public static void syncDirectory(final Path directory) {
    try (FileChannel ch = FileChannel.open(directory, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (final IOException e) {
      // Some file systems refuse fsync on directories; the rename itself is still atomic.
    }
  }
}
