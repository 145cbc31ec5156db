package io.seqpar.worker.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.seqpar.InvalidInputException;
import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.Npy;
import io.seqpar.worker.data.ByteFileSource;
import io.seqpar.worker.data.NpyTokenSource;
import io.seqpar.worker.data.SyntheticSource;
import io.seqpar.worker.data.TokenSource;
import io.seqpar.worker.io.Safetensors;
import io.seqpar.worker.io.WeightsIo;
import io.seqpar.worker.kernel.DecayMode;
import io.seqpar.worker.model.ModelConfig;
import io.seqpar.worker.model.ParameterSet;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Bad input is refused before step 0, each refusal naming the file and the problem (issue 6). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TrainingPreflightTest {
  private static final ModelConfig CFG =
      new ModelConfig(1, 8, 2, 4, 4, 2, 16, DecayMode.GLA, 4, false);
  private static final int VOCAB = 256;

  @TempDir Path dir;

  private Path ids(final String name, final int n, final int badAt, final int badId) {
    final int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = (i * 7) % VOCAB;
    }
    if (badAt >= 0) {
      ids[badAt] = badId;
    }
    final Path f = dir.resolve(name);
    Npy.writeInt32(f, new int[] {n}, ids);
    return f;
  }

  private static String refused(final Path file, final Executable check, final String problem) {
    final String m = assertThrows(InvalidInputException.class, check).getMessage();
    assertThat(m).contains(file.toString()).contains(problem);
    return m;
  }

  @Test
  void dataShorterThanOneSequenceIsRefused() {
    final Path f = ids("short.npy", 64, -1, 0);
    try (TokenSource src = new NpyTokenSource(f, VOCAB)) {
      refused(
          f,
          () -> TrainingPreflight.check(src, 64, 2, 10, VOCAB, "--data"),
          "64 tokens, shorter than one sequence: seq_len=64 needs 65");
      // 65 tokens: one sequence, read by every row of every step (the walk wraps)
      assertThat(TrainingPreflight.check(src, 63, 2, 10, VOCAB, "--data"))
          .isEqualTo(new TrainingPreflight.DataReach(1, 1, 64, 64));
    }
  }

  @Test
  void idAtOrAboveVocabWithinTheReachIsRefused() {
    // T = 10, 100 tokens: S = 9 sequences; 2 steps × B = 2 read sequences 0..3, positions [0, 41)
    final Path f = ids("big.npy", 100, 40, VOCAB);
    try (TokenSource src = new NpyTokenSource(f, VOCAB)) {
      final String m =
          refused(
              f,
              () -> TrainingPreflight.check(src, 10, 2, 2, VOCAB, "--data"),
              "token id 256 at index 40 is outside the vocabulary [0, 256)");
      assertThat(m).contains("--data " + f);
      // one step reads sequences 0..1, positions [0, 21): index 40 is never read
      assertThat(TrainingPreflight.check(src, 10, 2, 1, VOCAB, "--data").positionsEnd())
          .isEqualTo(21);
    }
  }

  @Test
  void negativeIdIsRefused() {
    final Path f = ids("neg.npy", 5000, 4321, -3);
    try (TokenSource src = new NpyTokenSource(f, VOCAB)) {
      refused(
          f,
          () -> TrainingPreflight.check(src, 100, 4, 1000, VOCAB, "--data"),
          "token id -3 at index 4321");
    }
  }

  @Test
  void aRankScansItsSlicePlusOneLabel() {
    // T = 10 split 5 | 5. Index 15 is rank 1's first token of sequence 1 and rank 0's last label;
    // index 16 is read by rank 1 only.
    final Path shared = ids("shared.npy", 100, 15, 999);
    final Path own = ids("own.npy", 100, 16, 999);
    try (TokenSource a = new NpyTokenSource(shared, VOCAB);
        TokenSource b = new NpyTokenSource(own, VOCAB)) {
      refused(shared, () -> TrainingPreflight.check(a, 10, 2, 1, VOCAB, "d", 0, 5), "index 15");
      refused(shared, () -> TrainingPreflight.check(a, 10, 2, 1, VOCAB, "d", 5, 10), "index 15");
      assertThat(TrainingPreflight.check(b, 10, 2, 1, VOCAB, "d", 0, 5).tokensChecked())
          .isEqualTo(12);
      refused(own, () -> TrainingPreflight.check(b, 10, 2, 1, VOCAB, "d", 5, 10), "index 16");
    }
  }

  @Test
  void byteAndSyntheticSourcesPassWithoutAScan() throws IOException {
    final Path f = dir.resolve("text.txt");
    Files.writeString(f, "hello world, ".repeat(100));
    try (TokenSource bytes = new ByteFileSource(f, VOCAB);
        TokenSource syn = new SyntheticSource(1, 1L << 40, 4096)) {
      assertThat(TrainingPreflight.check(bytes, 64, 2, 5, VOCAB, "--data").sequencesRead())
          .isEqualTo(10);
      assertThat(TrainingPreflight.check(syn, 1 << 20, 8, 1000, VOCAB, "--data").sequencesRead())
          .isEqualTo(8000);
    }
  }

  // ------------------------------------------------------------------------------ weights

  private Path validWeights(final String name) {
    final Path f = dir.resolve(name);
    try (ParameterSet p = new ParameterSet(CFG)) {
      p.initialize(3);
      WeightsIo.save(f, p);
    }
    return f;
  }

  @Test
  void validWeightsPass() {
    TrainingPreflight.checkWeights(validWeights("ok.safetensors"), CFG);
  }

  @Test
  void truncatedWeightsHeaderIsRefused() throws IOException {
    final Path f = validWeights("trunc.safetensors");
    final long headerLen = Safetensors.readHeader(f).dataStart() - 8;
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.setLength(8 + headerLen / 2);
    }
    refused(f, () -> TrainingPreflight.checkWeights(f, CFG), "truncated header");
  }

  @Test
  void wrongWeightsDtypeIsRefused() throws IOException {
    final Path f = validWeights("f16.safetensors");
    final byte[] raw = Files.readAllBytes(f);
    final String s = new String(raw, StandardCharsets.ISO_8859_1);
    final int at = s.indexOf("\"F32\"", s.indexOf("\"final_norm.weight\""));
    System.arraycopy("\"F16\"".getBytes(StandardCharsets.US_ASCII), 0, raw, at, 5);
    Files.write(f, raw);
    refused(
        f,
        () -> TrainingPreflight.checkWeights(f, CFG),
        "tensor 'final_norm.weight' has dtype F16 (allowed: F32)");
  }

  @Test
  void missingWeightsTensorIsRefused() {
    final Path f = dir.resolve("missing.safetensors");
    try (ParameterSet p = new ParameterSet(CFG)) {
      final Map<String, FloatView> some = new LinkedHashMap<>(p.paramViews());
      some.remove("blocks.0.mlp.w3");
      Safetensors.write(f, some, Map.of());
    }
    refused(f, () -> TrainingPreflight.checkWeights(f, CFG), "missing tensor 'blocks.0.mlp.w3'");
  }

  @Test
  void weightsShapeMismatchIsRefused() {
    final Path f = validWeights("shape.safetensors");
    final ModelConfig wider = new ModelConfig(1, 8, 2, 4, 4, 4, 16, DecayMode.GLA, 4, false);
    refused(
        f,
        () -> TrainingPreflight.checkWeights(f, wider),
        "tensor 'blocks.0.mlp.w1' has shape [16, 8], the model expects [32, 8]");
  }

  @Test
  void nonFiniteWeightIsRefused() throws IOException {
    final Path f = validWeights("nan.safetensors");
    final Safetensors.Header h = Safetensors.readHeader(f);
    final long at = h.dataStart() + h.entries().get("blocks.0.attn.wo").begin() + 5 * 4;
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.seek(at);
      raf.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN).array());
    }
    refused(
        f,
        () -> TrainingPreflight.checkWeights(f, CFG),
        "tensor 'blocks.0.attn.wo' holds NaN at element 5");
  }
}
