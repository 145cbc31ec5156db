package io.seqpar.worker.attention;

import io.seqpar.InvalidInputException;
import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.Npy;
import io.seqpar.tensor.NpyArray;
import io.seqpar.tensor.NpyDType;
import io.seqpar.tensor.Shapes;
import io.seqpar.tensor.TensorArena;
import io.seqpar.worker.kernel.DecayMode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The inputs of one linear-attention problem, read from a directory laid out as the oracle's
 * (shared/oracle/README.md): {@code q.npy k.npy [B,H,T,dk]}, {@code v.npy dO.npy [B,H,T,dv]}, and
 * either {@code decay.npy [H]} (λ per head → const_decay), {@code g.npy [B,H,T,dk]} (log-gates →
 * gla) or neither (plain). Every file must be float32; shapes must agree; no value may be NaN or
 * infinite; λ must lie in (0, 1] and log-gates must be ≤ 0. Violations raise {@link
 * InvalidInputException} naming the file, the expected and the actual value.
 *
 * <p>All tensors live in one off-heap arena owned by this object.
 */
public final class AttentionInputs implements AutoCloseable {
  private static final ValueLayout.OfFloat LE =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final DecayMode mode;
  private final int batch;
  private final int heads;
  private final int tokens;
  private final int dk;
  private final int dv;
  private final float[] logLambda;
  private final TensorArena arena;

  private AttentionInputs(
      final DecayMode mode,
      final int[] qShape,
      final int dv,
      final float[] logLambda,
      final TensorArena arena) {
    this.mode = mode;
    this.batch = qShape[0];
    this.heads = qShape[1];
    this.tokens = qShape[2];
    this.dk = qShape[3];
    this.dv = dv;
    this.logLambda = logLambda;
    this.arena = arena;
  }

  /** Reads and validates the problem in {@code dir}. */
  public static AttentionInputs load(final Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new InvalidInputException(dir + ": not a directory");
    }
    try (Arena scratch = Arena.ofConfined()) {
      final NpyArray q = readFloat32(dir, "q.npy", scratch);
      if (q.shape().length != 4) {
        throw new InvalidInputException(
            dir.resolve("q.npy")
                + ": expected shape [B, H, T, dk], got "
                + Shapes.format(q.shape()));
      }
      final int b = q.shape()[0];
      final int h = q.shape()[1];
      final int t = q.shape()[2];
      final int dk = q.shape()[3];
      if (dk < 1) {
        throw new InvalidInputException(
            dir.resolve("q.npy") + ": dk must be >= 1, shape " + Shapes.format(q.shape()));
      }
      final NpyArray k = readFloat32(dir, "k.npy", scratch);
      expectShape(dir, "k.npy", k, b, h, t, dk);
      final NpyArray v = readFloat32(dir, "v.npy", scratch);
      if (v.shape().length != 4 || v.shape()[3] < 1) {
        throw new InvalidInputException(
            dir.resolve("v.npy")
                + ": expected shape ["
                + b
                + ", "
                + h
                + ", "
                + t
                + ", dv], got "
                + Shapes.format(v.shape()));
      }
      final int dv = v.shape()[3];
      expectShape(dir, "v.npy", v, b, h, t, dv);
      final NpyArray dO = readFloat32(dir, "dO.npy", scratch);
      expectShape(dir, "dO.npy", dO, b, h, t, dv);

      final boolean hasDecay = Files.exists(dir.resolve("decay.npy"));
      final boolean hasGates = Files.exists(dir.resolve("g.npy"));
      if (hasDecay && hasGates) {
        throw new InvalidInputException(
            dir + ": both decay.npy and g.npy present (allowed: at most one)");
      }
      final DecayMode mode =
          hasGates ? DecayMode.GLA : hasDecay ? DecayMode.CONST_DECAY : DecayMode.PLAIN;
      float[] logLambda = new float[h];
      NpyArray g = null;
      if (hasDecay) {
        final NpyArray decay = readFloat32(dir, "decay.npy", scratch);
        expectShape(dir, "decay.npy", decay, h);
        logLambda = logLambdas(dir.resolve("decay.npy"), decay);
      }
      if (hasGates) {
        g = readFloat32(dir, "g.npy", scratch);
        expectShape(dir, "g.npy", g, b, h, t, dk);
        checkNonPositive(dir.resolve("g.npy"), g);
      }
      final TensorArena.Builder plan =
          TensorArena.builder("attention inputs " + dir)
              .add("q", b, h, t, dk)
              .add("k", b, h, t, dk)
              .add("v", b, h, t, dv)
              .add("dO", b, h, t, dv);
      if (g != null) {
        plan.add("g", b, h, t, dk);
      }
      final TensorArena arena = plan.build();
      copy(q, arena.view("q"));
      copy(k, arena.view("k"));
      copy(v, arena.view("v"));
      copy(dO, arena.view("dO"));
      if (g != null) {
        copy(g, arena.view("g"));
      }
      return new AttentionInputs(mode, q.shape(), dv, logLambda, arena);
    }
  }

  /**
   * Builds a problem from heap arrays (tests, benchmarks); {@code lambda} or {@code g} may be null.
   */
  public static AttentionInputs of(
      final int b,
      final int h,
      final int t,
      final int dk,
      final int dv,
      final float[] q,
      final float[] k,
      final float[] v,
      final float[] dO,
      final float[] lambda,
      final float[] g) {
    final DecayMode mode =
        g != null ? DecayMode.GLA : lambda != null ? DecayMode.CONST_DECAY : DecayMode.PLAIN;
    final TensorArena.Builder plan =
        TensorArena.builder("attention inputs")
            .add("q", b, h, t, dk)
            .add("k", b, h, t, dk)
            .add("v", b, h, t, dv)
            .add("dO", b, h, t, dv);
    if (g != null) {
      plan.add("g", b, h, t, dk);
    }
    final TensorArena arena = plan.build();
    arena.view("q").copyFrom(q);
    arena.view("k").copyFrom(k);
    arena.view("v").copyFrom(v);
    arena.view("dO").copyFrom(dO);
    if (g != null) {
      arena.view("g").copyFrom(g);
    }
    final float[] logLambda = new float[h];
    if (lambda != null) {
      for (int i = 0; i < h; i++) {
        logLambda[i] = (float) Math.log(lambda[i]);
      }
    }
    return new AttentionInputs(mode, new int[] {b, h, t, dk}, dv, logLambda, arena);
  }

  public DecayMode mode() {
    return mode;
  }

  public int batch() {
    return batch;
  }

  public int heads() {
    return heads;
  }

  public int tokens() {
    return tokens;
  }

  public int dk() {
    return dk;
  }

  public int dv() {
    return dv;
  }

  /** ln λ of head {@code h} (const_decay), 0 otherwise. */
  public float logLambda(final int h) {
    return logLambda[h];
  }

  /** One of q, k, v, dO, g. */
  public FloatView view(final String name) {
    return arena.view(name);
  }

  /** The log-gates, or null unless gla. */
  public FloatView gates() {
    return mode == DecayMode.GLA ? arena.view("g") : null;
  }

  @Override
  public void close() {
    arena.close();
  }

  private static NpyArray readFloat32(final Path dir, final String name, final Arena arena) {
    final Path file = dir.resolve(name);
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException(file + ": missing (required input)");
    }
    final NpyArray a = Npy.read(file, arena);
    if (a.dtype() != NpyDType.FLOAT32) {
      throw new InvalidInputException(
          file + ": dtype " + a.dtype().descr() + ", expected <f4 (float32)");
    }
    final long n = a.count();
    for (long i = 0; i < n; i++) {
      final float x = a.data().getAtIndex(LE, i);
      if (!Float.isFinite(x)) {
        throw new InvalidInputException(
            file
                + ": element "
                + i
                + " (index "
                + Arrays.toString(unravel(i, a.shape()))
                + ") is "
                + x
                + " (all values must be finite)");
      }
    }
    return a;
  }

  private static void expectShape(
      final Path dir, final String name, final NpyArray a, final int... expected) {
    if (!Arrays.equals(a.shape(), expected)) {
      throw new InvalidInputException(
          dir.resolve(name)
              + ": expected shape "
              + Shapes.format(expected)
              + ", got "
              + Shapes.format(a.shape()));
    }
  }

  private static float[] logLambdas(final Path file, final NpyArray decay) {
    final float[] out = new float[decay.shape()[0]];
    for (int i = 0; i < out.length; i++) {
      final float lambda = decay.data().getAtIndex(LE, i);
      if (!(lambda > 0f && lambda <= 1f)) {
        throw new InvalidInputException(
            file + ": decay[" + i + "] = " + lambda + " (allowed: 0 < λ <= 1)");
      }
      out[i] = (float) Math.log(lambda);
    }
    return out;
  }

  private static void checkNonPositive(final Path file, final NpyArray g) {
    final long n = g.count();
    for (long i = 0; i < n; i++) {
      final float x = g.data().getAtIndex(LE, i);
      if (x > 0f) {
        throw new InvalidInputException(
            file
                + ": log-gate at index "
                + Arrays.toString(unravel(i, g.shape()))
                + " is "
                + x
                + " (allowed: <= 0)");
      }
    }
  }

  private static void copy(final NpyArray src, final FloatView dst) {
    // Little-endian file data to native-order view.
    MemorySegment.copy(src.data(), LE, 0, dst.segment(), ValueLayout.JAVA_FLOAT, 0, dst.count());
  }

  private static int[] unravel(final long flat, final int[] shape) {
    final int[] idx = new int[shape.length];
    long rest = flat;
    for (int d = shape.length - 1; d >= 0; d--) {
      idx[d] = (int) (rest % shape[d]);
      rest /= shape[d];
    }
    return idx;
  }
}
