package io.seqpar.checkpoint;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.seqpar.InvalidInputException;
import io.seqpar.io.AtomicFiles;
import io.seqpar.proto.v1.CheckpointFile;
import io.seqpar.proto.v1.CheckpointManifest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * The on-disk layout of coordinated checkpoints, shared by the ranks that write files and the
 * coordinator that commits them:
 *
 * <pre>
 *   DIR/step-00000005/weights.safetensors     rank 0: parameters
 *   DIR/step-00000005/optimizer.safetensors   rank 0: AdamW moments
 *   DIR/step-00000005/rank-00003.json         every rank: its cursor (step, shard, seed)
 *   DIR/step-00000005/MANIFEST.json           coordinator, after every rank reported: sha256 of all
 *   DIR/LATEST                                coordinator, last: "step-00000005/MANIFEST.json"
 * </pre>
 *
 * Every file is written with {@link AtomicFiles#write} (temp name, fsync, rename, directory fsync);
 * the manifest is written only after every rank's files are durable and LATEST only after the
 * manifest, so a crash at any point leaves LATEST naming a complete, checksummed checkpoint (or
 * none).
 */
public final class CheckpointStore {
  /** The pointer file naming the last committed manifest. */
  public static final String LATEST = "LATEST";

  /** The manifest's name inside a step directory. */
  public static final String MANIFEST = "MANIFEST.json";

  private final Path dir;

  public CheckpointStore(final Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  public Path dir() {
    return dir;
  }

  /** {@code step-%08d}: sorts by step. */
  public static String stepDirName(final long step) {
    return String.format(Locale.ROOT, "step-%08d", step);
  }

  /** The directory of {@code step}'s checkpoint, created if missing. */
  public Path stepDir(final long step) {
    final Path p = dir.resolve(stepDirName(step));
    try {
      Files.createDirectories(p);
    } catch (final IOException e) {
      throw new InvalidInputException(
          "checkpoint.dir: cannot create " + p + ": " + e.getMessage(), e);
    }
    return p;
  }

  /** A path relative to the checkpoint directory, refusing anything that escapes it. */
  public Path resolve(final String relative) {
    final Path p = dir.resolve(relative).normalize();
    if (!p.startsWith(dir) || p.equals(dir)) {
      throw new InvalidInputException(
          "checkpoint: path '" + relative + "' is outside the checkpoint directory " + dir);
    }
    return p;
  }

  /** Describes a durable file of {@code rank} for the manifest (size and SHA-256). */
  public CheckpointFile describe(final Path file, final int rank) {
    final Path abs = file.toAbsolutePath().normalize();
    try {
      return CheckpointFile.newBuilder()
          .setPath(dir.relativize(abs).toString())
          .setSha256(sha256(abs))
          .setBytes(Files.size(abs))
          .setRank(rank)
          .build();
    } catch (final IOException e) {
      throw new InvalidInputException("checkpoint: cannot read " + abs + ": " + e.getMessage(), e);
    }
  }

  /**
   * Commits {@code manifest}: writes the step's MANIFEST.json, then LATEST, each atomically.
   * Returns the manifest path relative to the checkpoint directory.
   */
  public String commit(final CheckpointManifest manifest) {
    final String rel = stepDirName(manifest.getStep()) + "/" + MANIFEST;
    final String json;
    try {
      json = JsonFormat.printer().preservingProtoFieldNames().print(manifest);
    } catch (final InvalidProtocolBufferException e) {
      throw new IllegalStateException("checkpoint manifest is not printable", e);
    }
    writeAtomically(resolve(rel), json.getBytes(StandardCharsets.UTF_8));
    writeAtomically(dir.resolve(LATEST), (rel + "\n").getBytes(StandardCharsets.UTF_8));
    return rel;
  }

  /** The manifest LATEST points at, or empty when nothing was ever committed. */
  public Optional<String> latest() {
    final Path p = dir.resolve(LATEST);
    try {
      final String rel = Files.readString(p, StandardCharsets.UTF_8).trim();
      if (rel.isEmpty()) {
        throw new InvalidInputException("checkpoint: " + p + " is empty");
      }
      return Optional.of(rel);
    } catch (final NoSuchFileException e) {
      return Optional.empty();
    } catch (final IOException e) {
      throw new InvalidInputException("checkpoint: cannot read " + p + ": " + e.getMessage(), e);
    }
  }

  /** Reads a manifest (path relative to the checkpoint directory). */
  public CheckpointManifest read(final String manifestRel) {
    final Path p = resolve(manifestRel);
    final CheckpointManifest.Builder b = CheckpointManifest.newBuilder();
    try {
      JsonFormat.parser().merge(Files.readString(p, StandardCharsets.UTF_8), b);
    } catch (final IOException e) {
      throw new InvalidInputException(
          "checkpoint: cannot read manifest " + p + ": " + e.getMessage(), e);
    } catch (final RuntimeException e) {
      throw new InvalidInputException(
          "checkpoint: manifest " + p + " is not valid: " + e.getMessage(), e);
    }
    return b.build();
  }

  /**
   * Checks every file of {@code manifest}: present, the recorded size, the recorded SHA-256. The
   * first mismatch is refused with the file and both values.
   */
  public void verify(final CheckpointManifest manifest) {
    for (final CheckpointFile f : manifest.getFilesList()) {
      verify(f);
    }
  }

  /** Checks one file against its manifest entry. */
  public void verify(final CheckpointFile f) {
    final Path p = resolve(f.getPath());
    if (!Files.isRegularFile(p)) {
      throw new InvalidInputException(
          "checkpoint: file " + p + " named by the manifest is missing");
    }
    final String actual;
    final long size;
    try {
      size = Files.size(p);
      actual = sha256(p);
    } catch (final IOException e) {
      throw new InvalidInputException("checkpoint: cannot read " + p + ": " + e.getMessage(), e);
    }
    if (!actual.equals(f.getSha256())) {
      throw new InvalidInputException(
          "checkpoint: file "
              + p
              + " is corrupted: sha256 "
              + actual
              + " but the manifest recorded "
              + f.getSha256()
              + " ("
              + size
              + " bytes, manifest "
              + f.getBytes()
              + ")");
    }
  }

  /** Lower-case hex SHA-256 of a file. */
  public static String sha256(final Path file) throws IOException {
    final MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (final NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
    final byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** {@link AtomicFiles#write}, refusing with the file named (a checkpoint cannot proceed). */
  public static void writeAtomically(final Path target, final byte[] bytes) {
    try {
      AtomicFiles.write(target, bytes);
    } catch (final IOException e) {
      throw new InvalidInputException("cannot write " + target + ": " + e.getMessage(), e);
    }
  }
}
