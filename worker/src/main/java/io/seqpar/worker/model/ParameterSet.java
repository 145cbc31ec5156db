package io.seqpar.worker.model;

import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The model's parameters and their gradients: two arenas ({@code parameters}, {@code gradients})
 * with the same names and shapes, in the fixed order below. Linear weights are stored {@code [out,
 * in]} (PyTorch {@code nn.Linear}), so a safetensors file maps one to one onto a PyTorch state
 * dict.
 *
 * <pre>
 *   embed.weight                       [V, D]
 *   blocks.{i}.attn_norm.weight        [D]
 *   blocks.{i}.attn.wq                 [H·dk, D]
 *   blocks.{i}.attn.wk                 [H·dk, D]
 *   blocks.{i}.attn.wv                 [H·dv, D]
 *   blocks.{i}.attn.wg                 [H·dk, D]     gla linear layers only
 *   blocks.{i}.attn.bg                 [H·dk]        gla linear layers only
 *   blocks.{i}.attn.head_norm.weight   [dv]          shared by the heads
 *   blocks.{i}.attn.wo                 [D, H·dv]
 *   blocks.{i}.mlp_norm.weight         [D]
 *   blocks.{i}.mlp.w1                  [F, D]
 *   blocks.{i}.mlp.w3                  [F, D]
 *   blocks.{i}.mlp.w2                  [D, F]
 *   final_norm.weight                  [D]
 *   lm_head.weight                     [V, D]        absent when embeddings are tied
 * </pre>
 *
 * <p>Gradients follow llm.c's rule: {@link #zeroGradients()} once per step, then every backward
 * accumulates ({@code +=}), so a tensor used twice (tied embeddings) sums its two gradients.
 */
public final class ParameterSet implements AutoCloseable {
  /** Standard deviation of the normal init of embeddings and input projections (GPT-2). */
  public static final double INIT_STD = 0.02;

  private final ModelConfig config;
  private final TensorArena params;
  private final TensorArena grads;
  private final List<String> names;

  /** Allocates zeroed parameters and gradients for {@code config}; call {@link #initialize}. */
  public ParameterSet(final ModelConfig config) {
    this.config = config;
    final Map<String, int[]> shapes = shapes(config);
    final TensorArena.Builder p = TensorArena.builder("parameters");
    final TensorArena.Builder g = TensorArena.builder("gradients");
    shapes.forEach(
        (n, s) -> {
          p.add(n, s);
          g.add(n, s);
        });
    this.params = p.build();
    this.grads = g.build();
    this.names = List.copyOf(shapes.keySet());
  }

  /** Names and shapes of every parameter of {@code c}, in the fixed order. */
  public static Map<String, int[]> shapes(final ModelConfig c) {
    final int d = c.dModel();
    final int hk = c.heads() * c.dk();
    final int hv = c.heads() * c.dv();
    final int f = c.hidden();
    final Map<String, int[]> m = new LinkedHashMap<>();
    m.put("embed.weight", new int[] {c.vocab(), d});
    for (int i = 0; i < c.layers(); i++) {
      final String b = "blocks." + i + ".";
      m.put(b + "attn_norm.weight", new int[] {d});
      m.put(b + "attn.wq", new int[] {hk, d});
      m.put(b + "attn.wk", new int[] {hk, d});
      m.put(b + "attn.wv", new int[] {hv, d});
      if (c.gated(i)) {
        m.put(b + "attn.wg", new int[] {hk, d});
        m.put(b + "attn.bg", new int[] {hk});
      }
      m.put(b + "attn.head_norm.weight", new int[] {c.dv()});
      m.put(b + "attn.wo", new int[] {d, hv});
      m.put(b + "mlp_norm.weight", new int[] {d});
      m.put(b + "mlp.w1", new int[] {f, d});
      m.put(b + "mlp.w3", new int[] {f, d});
      m.put(b + "mlp.w2", new int[] {d, f});
    }
    m.put("final_norm.weight", new int[] {d});
    if (!c.tieEmbeddings()) {
      m.put("lm_head.weight", new int[] {c.vocab(), d});
    }
    return m;
  }

  /**
   * Seeded init, reproducible from this description alone. Tensor number {@code i} (0-based, in the
   * fixed order) draws from {@code new java.util.Random(seed * 1_000_003 + i)}, row-major, with
   * {@code nextGaussian()} (whose algorithm the JDK specifies):
   *
   * <ul>
   *   <li>norm weights ({@code *norm.weight}): 1, no draws;
   *   <li>{@code attn.bg}: 0, no draws;
   *   <li>{@code attn.wo}, {@code mlp.w2} (residual outputs): N(0, (0.02 / sqrt(2·layers))²);
   *   <li>everything else: N(0, 0.02²).
   * </ul>
   */
  public void initialize(final long seed) {
    int index = 0;
    for (final String name : names) {
      final FloatView v = params.view(name);
      final Random rng = new Random(seed * 1_000_003L + index++);
      if (name.endsWith("norm.weight")) {
        fill(v, 1f);
      } else if (name.endsWith("attn.bg")) {
        fill(v, 0f);
      } else {
        final boolean residual = name.endsWith("attn.wo") || name.endsWith("mlp.w2");
        final double std = residual ? INIT_STD / Math.sqrt(2.0 * config.layers()) : INIT_STD;
        for (long j = 0; j < v.count(); j++) {
          v.set(j, (float) (rng.nextGaussian() * std));
        }
      }
    }
  }

  /**
   * Whether AdamW applies weight decay to {@code name}: matrices (rank ≥ 2: projections, embedding,
   * LM head) decay; vectors (norm weights, the gate bias) do not.
   */
  public boolean decays(final String name) {
    return params.view(name).shape().length >= 2;
  }

  public ModelConfig config() {
    return config;
  }

  /** Parameter names in the fixed order. */
  public List<String> names() {
    return names;
  }

  public FloatView param(final String name) {
    return params.view(name);
  }

  public FloatView grad(final String name) {
    return grads.view(name);
  }

  /** Parameter views by name, in order. */
  public Map<String, FloatView> paramViews() {
    return params.views();
  }

  /** Gradient views by name, in order. */
  public Map<String, FloatView> gradViews() {
    return grads.views();
  }

  /** Total number of scalar parameters. */
  public long count() {
    long n = 0;
    for (final FloatView v : params.views().values()) {
      n += v.count();
    }
    return n;
  }

  /** Zeroes every gradient (once per step, before backward). */
  public void zeroGradients() {
    for (final FloatView v : grads.views().values()) {
      v.zero();
    }
  }

  /**
   * Every gradient as one contiguous float32 block (alignment padding is zero and stays zero under
   * summation): what sequence parallelism all-reduces after backward.
   */
  public MemorySegment gradientBlock() {
    return grads.segment();
  }

  /**
   * The gradient block cut into the slices whose gradients become final together, in the order
   * {@link LanguageModel#backward(BackwardListener)} finishes them (the parameter order above makes
   * each one contiguous):
   *
   * <pre>
   *   0               head       final_norm.weight, lm_head.weight     [offset of final_norm, end)
   *   1 … layers      blocks.i   every blocks.{i}.* for i = layers−1 … 0
   *   layers + 1      embed      embed.weight (with tied embeddings also the LM head's gradient)
   * </pre>
   *
   * Each slice runs from its first tensor to the next slice's first tensor, so the buckets
   * partition the block, padding included.
   */
  public List<GradientBucket> gradientBuckets() {
    final int layers = config.layers();
    final int total = Math.toIntExact(grads.byteSize() / Float.BYTES);
    final int[] starts = new int[layers + 2]; // layout order: embed, blocks 0..L-1, head
    starts[0] = 0;
    for (int i = 0; i < layers; i++) {
      starts[i + 1] = floatOffset("blocks." + i + ".attn_norm.weight");
    }
    starts[layers + 1] = floatOffset("final_norm.weight");
    final List<GradientBucket> out = new java.util.ArrayList<>(layers + 2);
    out.add(new GradientBucket("head", starts[layers + 1], total));
    for (int i = layers - 1; i >= 0; i--) {
      out.add(new GradientBucket("blocks." + i, starts[i + 1], starts[i + 2]));
    }
    out.add(new GradientBucket("embed", 0, starts[1]));
    return List.copyOf(out);
  }

  private int floatOffset(final String name) {
    final long bytes = grads.view(name).segment().address() - grads.segment().address();
    return Math.toIntExact(bytes / Float.BYTES);
  }

  /**
   * Σ g² over every gradient of this rank, in double. Sequence parallelism all-reduces the
   * gradients first, then takes this from any rank (see {@code GradientClipper}).
   */
  public double gradSumOfSquares() {
    double s = 0;
    for (final FloatView v : grads.views().values()) {
      for (long i = 0; i < v.count(); i++) {
        final double g = v.get(i);
        s += g * g;
      }
    }
    return s;
  }

  @Override
  public void close() {
    params.close();
    grads.close();
  }

  private static void fill(final FloatView v, final float x) {
    for (long j = 0; j < v.count(); j++) {
      v.set(j, x);
    }
  }
}
