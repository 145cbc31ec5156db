package io.seqpar.worker.data;

import io.seqpar.InvalidInputException;

/**
 * Cuts a {@link TokenSource} into training sequences of T tokens and hands one rank its slice
 * {@code [start, end)} of each, with labels shifted globally: the rank reads tokens {@code [start,
 * end + 1)} of the sequence, so its last target is the first token of the next rank's slice (and
 * the last rank's is the token after the sequence).
 *
 * <p>Walk: the source holds {@code S = ⌊(length − 1) / T⌋} sequences, sequence i at offset {@code
 * i·T}. Step s, row b reads sequence {@code (s·B + b) mod S}. Deterministic in (step, b), so a
 * resumed run reads the same data from the step number alone.
 */
public final class SequenceBatcher {
  private final TokenSource source;
  private final int seqLen;
  private final int batch;
  private final int start;
  private final int end;
  private final long sequences;
  private final int[] scratch;

  /**
   * @param seqLen global sequence length T
   * @param batch sequences per step B
   * @param start first position of this rank's slice within a sequence
   * @param end one past the last position ({@code 0 <= start < end <= T})
   */
  public SequenceBatcher(
      final TokenSource source, final int seqLen, final int batch, final int start, final int end) {
    if (seqLen < 1 || batch < 1 || start < 0 || end <= start || end > seqLen) {
      throw new IllegalArgumentException(
          "seqLen="
              + seqLen
              + " batch="
              + batch
              + " slice=["
              + start
              + ", "
              + end
              + ") (need 0 <= start < end <= seqLen, batch >= 1)");
    }
    if (source.length() < seqLen + 1L) {
      throw new InvalidInputException(
          source.name()
              + ": "
              + source.length()
              + " tokens, shorter than one sequence of "
              + seqLen
              + " tokens plus its shifted label (needs >= "
              + (seqLen + 1L)
              + ")");
    }
    this.source = source;
    this.seqLen = seqLen;
    this.batch = batch;
    this.start = start;
    this.end = end;
    this.sequences = (source.length() - 1) / seqLen;
    this.scratch = new int[end - start + 1];
  }

  /** Number of distinct sequences the walk cycles through. */
  public long sequences() {
    return sequences;
  }

  /** Tokens per sequence on this rank, L = end − start. */
  public int len() {
    return end - start;
  }

  /**
   * Fills this rank's inputs for {@code step}.
   *
   * @param tokens {@code [B·L]} (=), row b at {@code b·L}
   * @param targets {@code [B·L]} (=), the next token of each
   */
  public void fill(final long step, final int[] tokens, final int[] targets) {
    final int l = end - start;
    for (int b = 0; b < batch; b++) {
      final long seq = Math.floorMod(step * batch + b, sequences);
      source.read(seq * seqLen + start, scratch, 0, l + 1);
      System.arraycopy(scratch, 0, tokens, b * l, l);
      System.arraycopy(scratch, 1, targets, b * l, l);
    }
  }
}
