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

  /** The id at {@code index} as stored, even outside the vocabulary (for messages). */
  default int idAt(final long index) {
    final int[] one = new int[1];
    read(index, one, 0, 1);
    return one[0];
  }

  /**
   * The first index in {@code [start, start + count)} whose token id lies outside {@code [0,
   * vocab)}, or −1 when every id is in range: a check of the whole range before training, without
   * throwing. This default reads chunks through {@link #read} (sources whose {@code read} refuses
   * bad ids on their own vocabulary should override it).
   */
  default long firstOutside(final long start, final long count, final int vocab) {
    final int[] buf = new int[(int) Math.min(count, 1 << 16)];
    for (long done = 0; done < count; done += buf.length) {
      final int n = (int) Math.min(buf.length, count - done);
      read(start + done, buf, 0, n);
      for (int i = 0; i < n; i++) {
        if (buf[i] < 0 || buf[i] >= vocab) {
          return start + done + i;
        }
      }
    }
    return -1;
  }

  @Override
  void close();
}
