package io.seqpar.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.InvalidInputException;
import io.seqpar.proto.v1.CheckpointFile;
import io.seqpar.proto.v1.CheckpointManifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
  @TempDir Path dir;

  private CheckpointManifest writeStep(final CheckpointStore store, final long step)
      throws Exception {
    final Path a = store.stepDir(step).resolve("weights.safetensors");
    CheckpointStore.writeAtomically(
        a, ("weights of step " + step).getBytes(StandardCharsets.UTF_8));
    final Path b = store.stepDir(step).resolve("rank-00001.json");
    CheckpointStore.writeAtomically(b, "{}".getBytes(StandardCharsets.UTF_8));
    return CheckpointManifest.newBuilder()
        .setJobId("j")
        .setStep(step)
        .setWorldSize(2)
        .addFiles(store.describe(a, 0))
        .addFiles(store.describe(b, 1))
        .build();
  }

  @Test
  void commitWritesTheManifestThenLatestAndVerifyAcceptsIt() throws Exception {
    final CheckpointStore store = new CheckpointStore(dir);
    assertTrue(store.latest().isEmpty());
    final String rel = store.commit(writeStep(store, 5));
    assertEquals("step-00000005/MANIFEST.json", rel);
    assertEquals(rel, store.latest().orElseThrow());
    final CheckpointManifest m = store.read(rel);
    assertEquals(5, m.getStep());
    assertEquals(2, m.getFilesCount());
    assertEquals(64, m.getFiles(0).getSha256().length());
    store.verify(m);
    store.commit(writeStep(store, 10));
    assertEquals("step-00000010/MANIFEST.json", store.latest().orElseThrow());
    try (Stream<Path> s = Files.walk(dir)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp files");
    }
  }

  @Test
  void aFlippedByteIsRefusedNamingTheFileAndBothHashes() throws Exception {
    final CheckpointStore store = new CheckpointStore(dir);
    final CheckpointManifest m = writeStep(store, 3);
    store.commit(m);
    final Path weights = dir.resolve("step-00000003/weights.safetensors");
    final byte[] bytes = Files.readAllBytes(weights);
    bytes[2] ^= 1;
    Files.write(weights, bytes);
    final InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> store.verify(store.read(store.latest().orElseThrow())));
    final String recorded = m.getFiles(0).getSha256();
    final String actual = CheckpointStore.sha256(weights);
    assertTrue(e.getMessage().contains(weights.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(recorded), e.getMessage());
    assertTrue(e.getMessage().contains(actual), e.getMessage());
  }

  @Test
  void aMissingFileAndAnEscapingPathAreRefused() throws Exception {
    final CheckpointStore store = new CheckpointStore(dir);
    final CheckpointManifest m = writeStep(store, 1);
    Files.delete(dir.resolve("step-00000001/rank-00001.json"));
    final InvalidInputException missing =
        assertThrows(InvalidInputException.class, () -> store.verify(m));
    assertTrue(missing.getMessage().contains("rank-00001.json"), missing.getMessage());
    final CheckpointFile evil = CheckpointFile.newBuilder().setPath("../../etc/passwd").build();
    final InvalidInputException escape =
        assertThrows(InvalidInputException.class, () -> store.verify(evil));
    assertTrue(
        escape.getMessage().contains("outside the checkpoint directory"), escape.getMessage());
  }

  @Test
  void filesWrittenBeforeACrashAreNeverNamedByLatest() throws Exception {
    // Rank files of step 8 are durable, but the coordinator never committed: LATEST stays at 4.
    final CheckpointStore store = new CheckpointStore(dir);
    store.commit(writeStep(store, 4));
    writeStep(store, 8);
    assertEquals("step-00000004/MANIFEST.json", store.latest().orElseThrow());
    assertFalse(Files.exists(dir.resolve("step-00000008/MANIFEST.json")));
    store.verify(store.read(store.latest().orElseThrow()));
  }
}
