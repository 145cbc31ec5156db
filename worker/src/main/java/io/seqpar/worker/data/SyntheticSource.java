package io.seqpar.worker.data;

import io.seqpar.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * The built-in default data: a deterministic ASCII byte stream with long-range structure, computed
 * on demand by position (nothing is stored beyond one episode buffer, so any rank can read any
 * range of an arbitrarily long stream).
 *
 * <p>The stream is a sequence of episodes of {@code episodeTokens} bytes. Episode e is generated
 * from {@code new java.util.Random(seed * 1_000_003 + e)}:
 *
 * <pre>
 *   "#"                                     start marker
 *   K definitions  "KEY=VAL;"               KEY 3 uppercase letters, VAL 4 digits (9 bytes each)
 *   filler         "word word … "           words drawn from a fixed 32-word list
 *   K recalls      "KEY?VAL;"               the same pairs in a shuffled order
 *   "\n"                                    (the filler is cut to make the episode exactly E bytes)
 * </pre>
 *
 * With the default E = 4096 each value is recalled about 4,000 tokens after it was defined, so
 * predicting the recall digits needs the attention state to carry them across the whole episode;
 * the filler teaches local (word-level) statistics, which lower the loss well below ln 256 early.
 */
public final class SyntheticSource implements TokenSource {
  /** Default episode length in tokens. */
  public static final int DEFAULT_EPISODE_TOKENS = 4096;

  /** Key-value pairs per episode. */
  public static final int PAIRS = 8;

  private static final int PAIR_BYTES = 9;
  private static final String[] WORDS = {
    "the", "of", "and", "to", "in", "is", "that", "it", "was", "for", "on", "are", "as", "with",
    "his", "they", "at", "be", "this", "from", "have", "or", "by", "one", "had", "not", "but",
    "what", "all", "were", "when", "we"
  };

  private final long seed;
  private final long length;
  private final int episodeTokens;
  private final byte[] episode;
  private long cached = -1;

  /**
   * @param seed generator seed
   * @param length tokens in the stream
   * @param episodeTokens E, at least {@code 2·K·9 + 2 + 64} bytes
   */
  public SyntheticSource(final long seed, final long length, final int episodeTokens) {
    final int min = 2 * PAIRS * PAIR_BYTES + 2 + 64;
    if (episodeTokens < min) {
      throw new InvalidInputException(
          "synthetic data: episodeTokens=" + episodeTokens + " (allowed: >= " + min + ")");
    }
    if (length < 1) {
      throw new InvalidInputException("synthetic data: length=" + length + " (allowed: >= 1)");
    }
    this.seed = seed;
    this.length = length;
    this.episodeTokens = episodeTokens;
    this.episode = new byte[episodeTokens];
  }

  @Override
  public String name() {
    return "synthetic(seed=" + seed + ", episode=" + episodeTokens + ")";
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public void read(final long start, final int[] dst, final int off, final int count) {
    for (int i = 0; i < count; i++) {
      final long pos = start + i;
      final long e = pos / episodeTokens;
      if (e != cached) {
        generate(e);
      }
      dst[off + i] = episode[(int) (pos - e * episodeTokens)];
    }
  }

  /**
   * The stream is ASCII (ids 0..127) by construction: nothing to scan when {@code vocab >= 128}.
   */
  @Override
  public long firstOutside(final long start, final long count, final int vocab) {
    return vocab >= 128 ? -1 : TokenSource.super.firstOutside(start, count, vocab);
  }

  /** Byte offset, within an episode, where the recall section starts. */
  public int recallOffset() {
    return episodeTokens - 1 - PAIRS * PAIR_BYTES;
  }

  @Override
  public void close() {}

  private void generate(final long e) {
    final Random rng = new Random(seed * 1_000_003L + e);
    final byte[][] keys = new byte[PAIRS][];
    final byte[][] vals = new byte[PAIRS][];
    for (int k = 0; k < PAIRS; k++) {
      keys[k] = new byte[] {letter(rng), letter(rng), letter(rng)};
      vals[k] = new byte[] {digit(rng), digit(rng), digit(rng), digit(rng)};
    }
    int p = 0;
    episode[p++] = '#';
    for (int k = 0; k < PAIRS; k++) {
      p = pair(p, keys[k], (byte) '=', vals[k]);
    }
    final int recall = recallOffset();
    while (p < recall) {
      final byte[] w = WORDS[rng.nextInt(WORDS.length)].getBytes(StandardCharsets.US_ASCII);
      for (int j = 0; j < w.length && p < recall; j++) {
        episode[p++] = w[j];
      }
      if (p < recall) {
        episode[p++] = ' ';
      }
    }
    final int[] order = new int[PAIRS];
    for (int k = 0; k < PAIRS; k++) {
      order[k] = k;
    }
    for (int k = PAIRS - 1; k > 0; k--) { // Fisher-Yates
      final int j = rng.nextInt(k + 1);
      final int t = order[k];
      order[k] = order[j];
      order[j] = t;
    }
    for (int k = 0; k < PAIRS; k++) {
      p = pair(p, keys[order[k]], (byte) '?', vals[order[k]]);
    }
    episode[p] = '\n';
    cached = e;
  }

  private int pair(final int at, final byte[] key, final byte sep, final byte[] val) {
    int p = at;
    for (final byte b : key) {
      episode[p++] = b;
    }
    episode[p++] = sep;
    for (final byte b : val) {
      episode[p++] = b;
    }
    episode[p++] = ';';
    return p;
  }

  private static byte letter(final Random rng) {
    return (byte) ('A' + rng.nextInt(26));
  }

  private static byte digit(final Random rng) {
    return (byte) ('0' + rng.nextInt(10));
  }
}
