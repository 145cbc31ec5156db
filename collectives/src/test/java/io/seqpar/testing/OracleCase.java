package io.seqpar.testing;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.seqpar.tensor.Npy;
import io.seqpar.tensor.NpyArray;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One case of the float64 oracle in {@code ../shared/oracle/vectors} (see its README): inputs
 * (float32), expected outputs (float64) with per-tensor tolerances, and per-P shard data. Expected
 * values come only from these files, never from the project's own code.
 */
public final class OracleCase {
  private final Path dir;
  private final JsonObject manifest;

  private OracleCase(final Path dir) {
    this.dir = dir;
    try {
      this.manifest =
          JsonParser.parseString(Files.readString(dir.resolve("manifest.json"))).getAsJsonObject();
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The oracle root: system property {@code seqpar.oracle.dir}, else {@code ../shared/oracle}. */
  public static Path oracleDir() {
    final String prop = System.getProperty("seqpar.oracle.dir");
    final Path p = prop != null ? Paths.get(prop) : Paths.get("..", "shared", "oracle");
    if (!Files.isDirectory(p.resolve("vectors"))) {
      throw new IllegalStateException("oracle not found at " + p.toAbsolutePath());
    }
    return p;
  }

  /** Every case named in {@code vectors/index.json}. */
  public static List<String> names() {
    try {
      final JsonObject index =
          JsonParser.parseString(Files.readString(oracleDir().resolve("vectors/index.json")))
              .getAsJsonObject();
      final List<String> out = new ArrayList<>();
      for (final JsonElement e : index.getAsJsonArray("cases")) {
        out.add(e.getAsString());
      }
      return out;
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Loads the case called {@code name}. */
  public static OracleCase load(final String name) {
    return new OracleCase(oracleDir().resolve("vectors").resolve(name));
  }

  public Path dir() {
    return dir;
  }

  public String name() {
    return dir.getFileName().toString();
  }

  /** {@code plain}, {@code const_decay} or {@code gla}. */
  public String mode() {
    return manifest.get("mode").getAsString();
  }

  public int b() {
    return manifest.get("B").getAsInt();
  }

  public int h() {
    return manifest.get("H").getAsInt();
  }

  public int t() {
    return manifest.get("T").getAsInt();
  }

  public int dk() {
    return manifest.get("dim_k").getAsInt();
  }

  public int dv() {
    return manifest.get("dim_v").getAsInt();
  }

  /** An input tensor (q, k, v, dO, decay, g), as float32. */
  public float[] input(final String name) {
    return read(manifest.getAsJsonObject("inputs").getAsJsonObject(name)).toFloatArray();
  }

  /** Whether the case has an input called {@code name}. */
  public boolean hasInput(final String name) {
    return manifest.getAsJsonObject("inputs").has(name);
  }

  /** An expected tensor (o, S_T, dq, dk, dv, dg, shard_P3_S_in, ...), as float64. */
  public double[] expected(final String name) {
    return read(entry(name)).toDoubleArray();
  }

  /** The shape of an expected tensor. */
  public int[] expectedShape(final String name) {
    return read(entry(name)).shape();
  }

  /** Whether the case has an expected tensor called {@code name}. */
  public boolean hasExpected(final String name) {
    return manifest.getAsJsonObject("expected").has(name);
  }

  /** The manifest's tolerance for an expected tensor. */
  public Tolerance tolerance(final String name) {
    final JsonObject t = entry(name).getAsJsonObject("tolerance");
    return Tolerance.of(t.get("rel_fro").getAsDouble(), t.get("max_abs").getAsDouble());
  }

  /** Rank r's token range {@code [start, end)} when sharded over P ∈ {2, 3, 4}. */
  public int[][] shardRanges(final int p) {
    final JsonObject sharded =
        manifest.getAsJsonObject("sharded").getAsJsonObject(String.valueOf(p));
    final var arr = sharded.getAsJsonArray("ranges");
    final int[][] out = new int[arr.size()][2];
    for (int r = 0; r < arr.size(); r++) {
      out[r][0] = arr.get(r).getAsJsonArray().get(0).getAsInt();
      out[r][1] = arr.get(r).getAsJsonArray().get(1).getAsInt();
    }
    return out;
  }

  /** Shard counts with shard data ({@code P} values). */
  public List<Integer> shardCounts() {
    final List<Integer> out = new ArrayList<>();
    for (final Map.Entry<String, JsonElement> e : manifest.getAsJsonObject("sharded").entrySet()) {
      out.add(Integer.parseInt(e.getKey()));
    }
    return out;
  }

  private JsonObject entry(final String name) {
    final JsonObject e = manifest.getAsJsonObject("expected").getAsJsonObject(name);
    if (e == null) {
      throw new IllegalArgumentException(name() + ": no expected tensor " + name);
    }
    return e;
  }

  private NpyArray read(final JsonObject entry) {
    return Npy.read(dir.resolve(entry.get("file").getAsString()));
  }
}
