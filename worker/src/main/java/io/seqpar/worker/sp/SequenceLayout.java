package io.seqpar.worker.sp;

/**
 * Which global token positions each rank holds, as two pieces in local order. The sequence of T
 * tokens is cut into 2P pieces: rank c's contiguous {@link ShardPlan} slice {@code [start_c,
 * start_c + L_c)} is split into piece 2c (the first ⌈L_c/2⌉ tokens) and piece 2c+1 (the rest).
 *
 * <ul>
 *   <li>{@link Kind#CONTIGUOUS}: rank r holds pieces (2r, 2r+1), i.e. its ShardPlan slice, in order
 *       — what the linear-attention layers need;
 *   <li>{@link Kind#ZIGZAG}: rank r holds pieces (r, 2P−1−r) (algorithms.md §3.3), so under the
 *       causal mask every rank does the same work.
 * </ul>
 *
 * Defining zigzag pieces as halves of the contiguous slices (rather than T/2P each) keeps both
 * layouts partitions of the same 2P pieces for any T, so moving between them ({@link
 * PieceRelayout}) is a permutation of whole pieces.
 */
public final class SequenceLayout {
  /** Piece assignment. */
  public enum Kind {
    CONTIGUOUS,
    ZIGZAG
  }

  private final Kind kind;
  private final int tokens;
  private final int ranks;

  public SequenceLayout(final Kind kind, final int tokens, final int ranks) {
    if (tokens < 0 || ranks < 1) {
      throw new IllegalArgumentException("tokens=" + tokens + " ranks=" + ranks);
    }
    this.kind = kind;
    this.tokens = tokens;
    this.ranks = ranks;
  }

  public Kind kind() {
    return kind;
  }

  public int tokens() {
    return tokens;
  }

  public int ranks() {
    return ranks;
  }

  /** First global position of piece {@code p} (0 ≤ p < 2P). */
  public int pieceStart(final int p) {
    final int c = p / 2;
    final int start = ShardPlan.start(tokens, ranks, c);
    return p % 2 == 0 ? start : start + firstHalf(c);
  }

  /** Tokens in piece {@code p}. */
  public int pieceLength(final int p) {
    final int c = p / 2;
    final int half = firstHalf(c);
    return p % 2 == 0 ? half : ShardPlan.length(tokens, ranks, c) - half;
  }

  private int firstHalf(final int c) {
    return (ShardPlan.length(tokens, ranks, c) + 1) / 2;
  }

  /** The piece in local slot {@code slot} (0 or 1) of rank {@code r}. */
  public int piece(final int r, final int slot) {
    return switch (kind) {
      case CONTIGUOUS -> 2 * r + slot;
      case ZIGZAG -> slot == 0 ? r : 2 * ranks - 1 - r;
    };
  }

  /** The rank holding piece {@code p}. */
  public int owner(final int p) {
    return switch (kind) {
      case CONTIGUOUS -> p / 2;
      case ZIGZAG -> p < ranks ? p : 2 * ranks - 1 - p;
    };
  }

  /** First local row of piece {@code p} on its owner. */
  public int localOffset(final int p) {
    final int r = owner(p);
    return piece(r, 0) == p ? 0 : pieceLength(piece(r, 0));
  }

  /** Rows held by rank {@code r}. */
  public int length(final int r) {
    return pieceLength(piece(r, 0)) + pieceLength(piece(r, 1));
  }

  /** The largest {@link #length} over ranks. */
  public int maxLength() {
    int m = 0;
    for (int r = 0; r < ranks; r++) {
      m = Math.max(m, length(r));
    }
    return m;
  }

  /** Global position of local row {@code row} of rank {@code r}. */
  public int position(final int r, final int row) {
    final int p0 = piece(r, 0);
    final int l0 = pieceLength(p0);
    return row < l0 ? pieceStart(p0) + row : pieceStart(piece(r, 1)) + row - l0;
  }
}
