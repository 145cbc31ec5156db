package io.seqpar.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A named, shaped float32 window over off-heap memory (native byte order, row-major). Views are
 * carved from a {@link TensorArena}; they never own memory, so creating one allocates nothing
 * off-heap and closing the arena invalidates every view on it.
 *
 * @param name what the view holds, e.g. {@code "q"} or {@code "blocks.0.attn.wq"}
 * @param shape dimensions, outermost first
 * @param segment exactly {@code count(shape) * 4} bytes
 */
public record FloatView(String name, int[] shape, MemorySegment segment) {
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

  public FloatView {
    final long need = Shapes.count(shape) * Float.BYTES;
    if (segment.byteSize() != need) {
      throw new IllegalArgumentException(
          name
              + ": segment "
              + segment.byteSize()
              + " bytes, shape "
              + Shapes.format(shape)
              + " needs "
              + need);
    }
  }

  /** Number of elements. */
  public long count() {
    return segment.byteSize() / Float.BYTES;
  }

  /** Size of dimension {@code i}. */
  public int dim(final int i) {
    return shape[i];
  }

  /** Element at flat index {@code i}. */
  public float get(final long i) {
    return segment.getAtIndex(F, i);
  }

  /** Sets the element at flat index {@code i}. */
  public void set(final long i, final float value) {
    segment.setAtIndex(F, i, value);
  }

  /** Sets every element to zero. */
  public void zero() {
    segment.fill((byte) 0);
  }

  /** Copies all elements into a new heap array (for tests and I/O, not hot paths). */
  public float[] toArray() {
    return segment.toArray(F);
  }

  /** Copies {@code src} into this view; lengths must match. */
  public void copyFrom(final float[] src) {
    if (src.length != count()) {
      throw new IllegalArgumentException(
          name + ": copying " + src.length + " floats into a view of " + count());
    }
    MemorySegment.copy(src, 0, segment, F, 0, src.length);
  }

  /** Copies another view's elements into this one; counts must match. */
  public void copyFrom(final FloatView src) {
    if (src.count() != count()) {
      throw new IllegalArgumentException(
          name + ": copying " + src.count() + " floats from " + src.name + " into " + count());
    }
    MemorySegment.copy(src.segment, 0, segment, 0, segment.byteSize());
  }

  /** A sub-view of {@code shape} elements starting at flat element {@code offset}. */
  public FloatView slice(final String sliceName, final long offset, final int... sliceShape) {
    final long bytes = Shapes.count(sliceShape) * Float.BYTES;
    return new FloatView(sliceName, sliceShape, segment.asSlice(offset * Float.BYTES, bytes));
  }

  /** The same memory with another shape of equal element count. */
  public FloatView reshape(final int... newShape) {
    return new FloatView(name, newShape, segment);
  }

  @Override
  public String toString() {
    return "FloatView[" + name + " " + Shapes.format(shape) + "]";
  }
}
