package io.seqpar.deploy.launcher;

import io.seqpar.SeqparException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The files of one run: {@code <runs>/<run-id>/} holds {@code job.yaml} (the job spec), {@code
 * metrics.jsonl}, {@code checkpoints/}, {@code ready/} (children's ready files) and {@code logs/}
 * ({@code <label>.log} per child). Aeron directories live apart, in memory, under {@code
 * /dev/shm/seqpar-<run-id>/<label>} (the temp dir where there is no {@code /dev/shm}); they are
 * created empty for each child and removed at teardown, because a stale Aeron directory makes the
 * next media driver fail or, worse, attach to dead buffers.
 */
public final class RunDirectory {
  private static final Path DEV_SHM = Path.of("/dev/shm");

  private final RunId id;
  private final Path root;
  private final Path shmRoot;

  private RunDirectory(final RunId id, final Path root, final Path shmRoot) {
    this.id = id;
    this.root = root;
    this.shmRoot = shmRoot;
  }

  /** Creates {@code <runsDir>/<id>/} and its sub-directories, with Aeron dirs under /dev/shm. */
  public static RunDirectory create(final Path runsDir, final RunId id) {
    final Path shmBase =
        Files.isDirectory(DEV_SHM) && Files.isWritable(DEV_SHM)
            ? DEV_SHM
            : Path.of(System.getProperty("java.io.tmpdir"));
    return create(runsDir, id, shmBase);
  }

  /** As {@link #create(Path, RunId)} with an explicit parent for the Aeron directories (tests). */
  public static RunDirectory create(final Path runsDir, final RunId id, final Path shmBase) {
    final RunDirectory dir =
        new RunDirectory(id, runsDir.resolve(id.value()), shmBase.resolve("seqpar-" + id.value()));
    try {
      if (Files.exists(dir.root)) {
        throw new SeqparException("run directory " + dir.root + " already exists (run id reused?)");
      }
      Files.createDirectories(dir.logs());
      Files.createDirectories(dir.checkpoints());
      Files.createDirectories(dir.readyDir());
    } catch (final IOException e) {
      throw new SeqparException("cannot create run directory " + dir.root + ": " + e, e);
    }
    return dir;
  }

  public RunId id() {
    return id;
  }

  public Path root() {
    return root;
  }

  public Path logs() {
    return root.resolve("logs");
  }

  /** The log file of the child with this label, e.g. {@code logs/w03.log}. */
  public Path logFile(final String label) {
    return logs().resolve(label + ".log");
  }

  public Path jobSpec() {
    return root.resolve("job.yaml");
  }

  public Path metrics() {
    return root.resolve("metrics.jsonl");
  }

  public Path checkpoints() {
    return root.resolve("checkpoints");
  }

  Path readyDir() {
    return root.resolve("ready");
  }

  /** Where the child with this label writes its ready file. */
  public Path readyFile(final String label) {
    return readyDir().resolve(label + ".json");
  }

  /** {@code /dev/shm/seqpar-<run-id>}: the parent of every child's Aeron directory. */
  public Path shmRoot() {
    return shmRoot;
  }

  /** Creates (after removing any leftover) the Aeron directory of the child with this label. */
  public Path freshAeronDir(final String label) {
    final Path dir = shmRoot.resolve(label);
    deleteTree(dir);
    try {
      Files.createDirectories(dir);
    } catch (final IOException e) {
      throw new SeqparException(
          "cannot create Aeron directory " + dir + " for " + label + ": " + e, e);
    }
    return dir;
  }

  /** Removes {@code /dev/shm/seqpar-<run-id>} and everything under it. Safe to call twice. */
  public void removeAeronDirs() {
    deleteTree(shmRoot);
  }

  /** Deletes a directory tree; a missing tree is fine (teardown and the hook may both run). */
  static void deleteTree(final Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(final Path file, final IOException e)
                throws IOException {
              if (e instanceof NoSuchFileException) {
                return FileVisitResult.CONTINUE;
              }
              throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(final Path d, final IOException e)
                throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (final NoSuchFileException e) {
      // Deleted concurrently by the other cleanup path: the goal is met.
    } catch (final IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
