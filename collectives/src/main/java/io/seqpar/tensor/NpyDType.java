package io.seqpar.tensor;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** The element types seqpar reads and writes in {@code .npy} files: little-endian only. */
public enum NpyDType {
  /** {@code <f4}: IEEE float32, the storage type of every tensor seqpar computes on. */
  FLOAT32("<f4", 4),
  /** {@code <f8}: IEEE float64, used by references and oracles. */
  FLOAT64("<f8", 8),
  /** {@code <i4}: int32, token ids. */
  INT32("<i4", 4);

  /** Little-endian element layouts; the JVM's default layouts are native-order. */
  static final ValueLayout.OfFloat LE_FLOAT =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  static final ValueLayout.OfDouble LE_DOUBLE =
      ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfInt LE_INT =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final String descr;
  private final int itemBytes;

  NpyDType(final String descr, final int itemBytes) {
    this.descr = descr;
    this.itemBytes = itemBytes;
  }

  /** The numpy {@code descr} string, e.g. {@code <f4}. */
  public String descr() {
    return descr;
  }

  /** Bytes per element. */
  public int itemBytes() {
    return itemBytes;
  }

  /** The dtype for a numpy descr, or null if seqpar does not accept it. */
  static NpyDType fromDescr(final String descr) {
    for (final NpyDType t : values()) {
      if (t.descr.equals(descr)) {
        return t;
      }
    }
    return null;
  }
}
