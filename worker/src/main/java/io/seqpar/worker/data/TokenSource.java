package io.seqpar.worker.data;

/**
 * A long token stream addressed by position. Implementations read only the positions asked for (a
 * memory-mapped file touches only the pages of a rank's range; the synthetic source computes tokens
 * on demand), so a rank never holds more than its slice.
 */
public interface TokenSource extends AutoCloseable {
  /** What the tokens come from, for messages (a file path, or {@code synthetic(...)}). */
  String name();

  /** Number of tokens in the stream. */
  long length();

  /**
   * Copies tokens {@code [start, start + count)} into {@code dst[off ..]}.
   *
   * @throws io.seqpar.InvalidInputException if a token id is outside the vocabulary (naming the
   *     source and the index)
   */
  void read(long start, int[] dst, int off, int count);

  @Override
  void close();
}
