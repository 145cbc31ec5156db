package io.seqpar.collectives;

/**
 * The shape of one rank's scan summary: log-decay {@code [heads, dk]} and state {@code [heads, dk,
 * dv]}, float32, row-major. Fold a batch dimension into {@code heads} (B·H). Rows (key dims) of all
 * heads are contiguous, so a block of {@code rows()} is a contiguous byte range.
 */
public record ScanShape(int heads, int dk, int dv) {
  public ScanShape {
    if (heads < 1 || dk < 1 || dv < 1) {
      throw new IllegalArgumentException(
          "heads, dk, dv must be >= 1, got heads=" + heads + " dk=" + dk + " dv=" + dv);
    }
    if ((long) heads * dk * dv * Float.BYTES > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "state of heads=" + heads + " dk=" + dk + " dv=" + dv + " exceeds 2 GiB");
    }
  }

  /** Rows of the state over all heads: heads·dk. */
  public int rows() {
    return heads * dk;
  }

  /** Bytes of the log-decay vector: heads·dk·4. */
  public int logBytes() {
    return rows() * Float.BYTES;
  }

  /** Bytes of the state: heads·dk·dv·4 (M in algorithms.md §2.8). */
  public int stateBytes() {
    return rows() * dv * Float.BYTES;
  }

  /** Byte offset of row {@code row} in the state. */
  public long rowOffset(final int row) {
    return (long) row * dv * Float.BYTES;
  }
}
