package io.seqpar.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * An array read from a {@code .npy} file: its dtype, its shape (outermost first) and its raw
 * little-endian data in an off-heap segment owned by the arena the reader was given.
 */
public record NpyArray(NpyDType dtype, int[] shape, MemorySegment data) {

  /** Number of elements (product of the shape; 1 for a scalar). */
  public long count() {
    return Shapes.count(shape);
  }

  /** The elements as float32 (float64 and int32 are converted). */
  public float[] toFloatArray() {
    final int n = Math.toIntExact(count());
    final float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] =
          switch (dtype) {
            case FLOAT32 -> data.getAtIndex(NpyDType.LE_FLOAT, i);
            case FLOAT64 -> (float) data.getAtIndex(NpyDType.LE_DOUBLE, i);
            case INT32 -> data.getAtIndex(NpyDType.LE_INT, i);
          };
    }
    return out;
  }

  /** The elements as float64 (float32 and int32 are widened exactly). */
  public double[] toDoubleArray() {
    final int n = Math.toIntExact(count());
    final double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] =
          switch (dtype) {
            case FLOAT32 -> data.getAtIndex(NpyDType.LE_FLOAT, i);
            case FLOAT64 -> data.getAtIndex(NpyDType.LE_DOUBLE, i);
            case INT32 -> data.getAtIndex(NpyDType.LE_INT, i);
          };
    }
    return out;
  }

  /** The elements as int32; only for INT32 arrays. */
  public int[] toIntArray() {
    if (dtype != NpyDType.INT32) {
      throw new IllegalStateException("array is " + dtype.descr() + ", not <i4");
    }
    final int n = Math.toIntExact(count());
    final int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = data.getAtIndex(NpyDType.LE_INT, i);
    }
    return out;
  }

  @Override
  public String toString() {
    return "NpyArray[" + dtype.descr() + " " + Arrays.toString(shape) + "]";
  }
}
