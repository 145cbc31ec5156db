package io.seqpar.worker.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.InvalidInputException;
import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.Npy;
import io.seqpar.tensor.NpyArray;
import io.seqpar.worker.kernel.DecayMode;
import io.seqpar.worker.model.ModelConfig;
import io.seqpar.worker.model.ParameterSet;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SafetensorsTest {
  private static final ModelConfig CFG =
      new ModelConfig(2, 8, 2, 4, 4, 2, 16, DecayMode.GLA, 4, false);

  @TempDir Path dir;

  @Test
  void saveThenInitFromRoundTripsBitwise() throws IOException {
    final Path f = dir.resolve("w.safetensors");
    try (ParameterSet a = new ParameterSet(CFG);
        ParameterSet b = new ParameterSet(CFG)) {
      a.initialize(7);
      WeightsIo.save(f, a);
      WeightsIo.initFrom(f, b);
      for (final String n : a.names()) {
        assertArrayEquals(a.param(n).toArray(), b.param(n).toArray(), n);
      }
      final Safetensors.Header h = Safetensors.readHeader(f);
      assertEquals(a.names(), h.entries().keySet().stream().toList());
      assertEquals("gla", h.metadata().get("decay"));
      assertEquals(0, h.dataStart() % 8, "header padded to 8 bytes");
      // The first tensor's first element, read by hand as little-endian F32.
      final byte[] raw = Files.readAllBytes(f);
      final float first =
          ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getFloat((int) h.dataStart());
      assertEquals(a.param("embed.weight").get(0), first);
      try (var s = Files.list(dir)) {
        assertEquals(1, s.count(), "no temporary file left behind");
      }
    }
  }

  @Test
  void truncatedHeaderIsRefused() throws IOException {
    final Path f = dir.resolve("trunc.safetensors");
    final ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(500).put("{\"a\":{\"dty".getBytes(StandardCharsets.US_ASCII));
    Files.write(f, b.array());
    assertProblem(f, "truncated header");
    Files.write(f, new byte[5]);
    assertProblem(f, "shorter than the 8-byte header length");
  }

  @Test
  void wrongDtypeIsRefused() throws IOException {
    final Path f = dir.resolve("bf16.safetensors");
    writeRaw(f, "{\"embed.weight\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4);
    final String m = assertProblem(f, "dtype BF16");
    assertTrue(m.contains("embed.weight"), m);
  }

  @Test
  void badOffsetsAreRefused() throws IOException {
    final Path f = dir.resolve("overlap.safetensors");
    writeRaw(
        f,
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
        8);
    assertProblem(f, "overlapping 'a'");
    writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4);
    assertProblem(f, "outside the 4-byte data buffer");
    writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
    assertProblem(f, "needs 12");
    writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12);
    assertProblem(f, "trailing bytes");
    writeRaw(f, "{\"a\": not json", 0);
    assertProblem(f, "not valid JSON");
  }

  @Test
  void missingTensorIsRefused() {
    final Path f = dir.resolve("missing.safetensors");
    try (ParameterSet a = new ParameterSet(CFG)) {
      final Map<String, FloatView> some = new LinkedHashMap<>(a.paramViews());
      some.remove("lm_head.weight");
      Safetensors.write(f, some, Map.of());
      assertProblem(f, "missing tensor 'lm_head.weight'");
    }
  }

  @Test
  void shapeMismatchIsRefused() {
    final Path f = dir.resolve("shape.safetensors");
    final ModelConfig wider = new ModelConfig(2, 12, 2, 4, 4, 2, 16, DecayMode.GLA, 4, false);
    try (ParameterSet a = new ParameterSet(wider)) {
      WeightsIo.save(f, a);
      assertProblem(f, "tensor 'embed.weight' has shape [16, 12], the model expects [16, 8]");
    }
  }

  @Test
  void dumpGradsWritesOneNpyPerParameterAndTheLoss() {
    try (ParameterSet a = new ParameterSet(CFG)) {
      a.grad("blocks.1.mlp.w2").set(3, 2.5f);
      GradientDump.write(dir, a, 5.25);
      for (final String n : a.names()) {
        final NpyArray g = Npy.read(dir.resolve(n + ".npy"));
        assertArrayEquals(a.grad(n).shape(), g.shape(), n);
        assertArrayEquals(a.grad(n).toArray(), g.toFloatArray(), n);
      }
      final NpyArray loss = Npy.read(dir.resolve(GradientDump.LOSS_FILE));
      assertEquals(0, loss.shape().length);
      assertArrayEquals(new double[] {5.25}, loss.toDoubleArray());
    }
  }

  private String assertProblem(final Path f, final String problem) {
    try (ParameterSet p = new ParameterSet(CFG)) {
      final InvalidInputException e =
          assertThrows(InvalidInputException.class, () -> WeightsIo.initFrom(f, p));
      assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
      assertTrue(e.getMessage().contains(problem), e.getMessage());
      return e.getMessage();
    }
  }

  private static void writeRaw(final Path f, final String header, final int dataBytes)
      throws IOException {
    final byte[] h = header.getBytes(StandardCharsets.UTF_8);
    final ByteBuffer b =
        ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    Files.write(f, Arrays.copyOf(b.array(), b.capacity()));
  }
}
