package io.seqpar.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * One off-heap allocation per owner, carved into named views (llm.c's {@code
 * malloc_and_point_parameters}). Parameters, gradients, optimizer moments, activations and kernel
 * inputs each get one arena, planned once at setup; hot paths only re-point views.
 *
 * <pre>{@code
 * try (TensorArena a = TensorArena.builder("attention")
 *     .add("q", B, H, T, dk).add("k", B, H, T, dk).build()) {
 *   FloatView q = a.view("q");
 * }
 * }</pre>
 *
 * Every view starts on a 64-byte boundary (a cache line; whole vectors for AVX-512). Memory is
 * zeroed on allocation. The arena is shared: views may be used from several threads, with the
 * caller providing the happens-before edges.
 */
public final class TensorArena implements AutoCloseable {
  /** Alignment of every view, in bytes. */
  public static final int ALIGNMENT = 64;

  private final String owner;
  private final Arena arena;
  private final MemorySegment block;
  private final Map<String, FloatView> views;

  private TensorArena(
      final String owner,
      final Map<String, int[]> shapes,
      final LongFunction<MemorySegment> memory) {
    this.owner = owner;
    long total = 0;
    for (final int[] shape : shapes.values()) {
      total = align(total) + Shapes.count(shape) * Float.BYTES;
    }
    final long blockBytes = Math.max(ALIGNMENT, align(total));
    if (memory == null) {
      this.arena = Arena.ofShared();
      this.block = LargePages.allocate(arena, blockBytes, ALIGNMENT);
    } else {
      this.arena = null;
      this.block = memory.apply(blockBytes);
      if (block.byteSize() < blockBytes || (block.address() & (ALIGNMENT - 1)) != 0) {
        throw new IllegalStateException(
            owner
                + ": memory source gave "
                + block.byteSize()
                + " bytes at "
                + block.address()
                + ", need "
                + blockBytes
                + " bytes on a "
                + ALIGNMENT
                + "-byte boundary");
      }
    }
    this.views = new LinkedHashMap<>();
    long offset = 0;
    for (final Map.Entry<String, int[]> e : shapes.entrySet()) {
      offset = align(offset);
      final long bytes = Shapes.count(e.getValue()) * Float.BYTES;
      views.put(e.getKey(), new FloatView(e.getKey(), e.getValue(), block.asSlice(offset, bytes)));
      offset += bytes;
    }
  }

  /** Starts planning an arena for {@code owner} (used in error messages). */
  public static Builder builder(final String owner) {
    return new Builder(owner);
  }

  /** The view called {@code name}; throws naming the owner and the known views if absent. */
  public FloatView view(final String name) {
    final FloatView v = views.get(name);
    if (v == null) {
      throw new IllegalArgumentException(
          owner + ": no tensor '" + name + "' (has " + views.keySet() + ")");
    }
    return v;
  }

  /** All views in declaration order. */
  public Map<String, FloatView> views() {
    return java.util.Collections.unmodifiableMap(views);
  }

  /**
   * The whole allocation, padding included (zeros): one buffer for a collective over every view,
   * e.g. an all-reduce of all gradients.
   */
  public MemorySegment segment() {
    return block;
  }

  /** Total bytes of the one allocation. */
  public long byteSize() {
    return block.byteSize();
  }

  /**
   * Frees the allocation; every view on it becomes unusable. Memory from a {@link Builder#memory}
   * source is its owner's to free.
   */
  @Override
  public void close() {
    if (arena != null) {
      arena.close();
    }
  }

  private static long align(final long offset) {
    return (offset + ALIGNMENT - 1) & -ALIGNMENT;
  }

  /** Collects named shapes, then allocates once in {@link #build()}. */
  public static final class Builder {
    private final String owner;
    private final Map<String, int[]> shapes = new LinkedHashMap<>();
    private LongFunction<MemorySegment> memory;

    private Builder(final String owner) {
      this.owner = owner;
    }

    /** Declares a float32 tensor; names must be unique. */
    public Builder add(final String name, final int... shape) {
      Shapes.count(shape);
      if (shapes.putIfAbsent(name, shape.clone()) != null) {
        throw new IllegalArgumentException(owner + ": tensor '" + name + "' declared twice");
      }
      return this;
    }

    /**
     * Takes the one block from {@code source} (bytes → zeroed, 64-byte aligned memory), e.g. memory
     * the ranks of a host share, instead of allocating it; the source owns and frees it.
     */
    public Builder memory(final LongFunction<MemorySegment> source) {
      this.memory = source;
      return this;
    }

    /** Allocates the arena. */
    public TensorArena build() {
      return new TensorArena(owner, shapes, memory);
    }
  }
}
