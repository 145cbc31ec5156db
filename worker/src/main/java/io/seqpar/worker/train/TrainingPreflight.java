package io.seqpar.worker.train;

import io.seqpar.InvalidInputException;
import io.seqpar.worker.data.TokenSource;
import io.seqpar.worker.io.WeightsIo;
import io.seqpar.worker.model.ModelConfig;
import java.nio.file.Path;

/**
 * Refuses unusable training input before anything is allocated or trained, each failure an {@link
 * InvalidInputException} (CLI exit 2) naming the input and the problem. The runtime calls {@link
 * #check(TokenSource, long, int, long, int, String, int, int)} (and {@link #checkWeights} for
 * {@code --init-from}) on every rank before step 0.
 *
 * <p><b>The batcher's reach</b> ({@link io.seqpar.worker.data.SequenceBatcher}): a source of n
 * tokens holds {@code S = ⌊(n − 1) / T⌋} sequences, sequence i covering positions {@code [i·T,
 * (i+1)·T]} (T inputs, and the label of the last one: T + 1 tokens, overlapping the next sequence
 * by one). Step s, row b reads sequence {@code (s·B + b) mod S}. So
 *
 * <ul>
 *   <li>the data must hold at least one sequence, {@code n ≥ T + 1}; fewer than {@code steps·B}
 *       sequences is allowed (the walk wraps: the data is read more than once);
 *   <li>a run of {@code steps} steps reads {@code R = min(steps·B, S)} sequences, positions {@code
 *       [0, R·T + 1)}; nothing past them is read, so nothing past them is checked;
 *   <li>a rank with slice {@code [a, e)} of each sequence reads {@code [i·T + a, i·T + e + 1)} for
 *       i < R: its tokens plus one label token of the next rank; the check scans exactly that.
 * </ul>
 *
 * Every id read must lie in {@code [0, vocab)}. An {@code .npy} source scans its memory map
 * vectorized (docs/PERFORMANCE.md: 100M ids in well under a second); byte and synthetic sources
 * skip the scan when the vocabulary covers all their ids.
 */
public final class TrainingPreflight {
  private TrainingPreflight() {}

  /**
   * What a run will read.
   *
   * @param sequences S, sequences in the data
   * @param sequencesRead R = min(steps·B, S), distinct sequences the run reads
   * @param positionsEnd one past the last position read, {@code R·T + 1}
   * @param tokensChecked ids this check scanned (the rank's part of the reach)
   */
  public record DataReach(
      long sequences, long sequencesRead, long positionsEnd, long tokensChecked) {}

  /** Checks the whole reach (every rank's slice): {@code check(…, 0, seqLen)}. */
  public static DataReach check(
      final TokenSource src,
      final long seqLen,
      final int batch,
      final long steps,
      final int vocab,
      final String what) {
    return check(src, seqLen, batch, steps, vocab, what, 0, Math.toIntExact(seqLen));
  }

  /**
   * Refuses {@code src} unless {@code steps} steps of {@code batch} sequences of {@code seqLen}
   * tokens can be read from it with every id in {@code [0, vocab)}, scanning the part of the reach
   * that the slice {@code [sliceStart, sliceEnd)} of each sequence reads (plus its one label).
   *
   * @param what the input's role for messages, e.g. {@code "--data"}
   */
  public static DataReach check(
      final TokenSource src,
      final long seqLen,
      final int batch,
      final long steps,
      final int vocab,
      final String what,
      final int sliceStart,
      final int sliceEnd) {
    final String who = what + " " + src.name();
    if (seqLen < 1 || batch < 1 || steps < 0 || vocab < 1) {
      throw new InvalidInputException(
          who
              + ": seq_len="
              + seqLen
              + " batch="
              + batch
              + " steps="
              + steps
              + " vocab="
              + vocab
              + " (allowed: seq_len, batch, vocab >= 1; steps >= 0)");
    }
    if (sliceStart < 0 || sliceEnd <= sliceStart || sliceEnd > seqLen) {
      throw new IllegalArgumentException(
          "slice [" + sliceStart + ", " + sliceEnd + ") outside [0, " + seqLen + ")");
    }
    final long n = src.length();
    if (n < seqLen + 1) {
      throw new InvalidInputException(
          who
              + ": "
              + n
              + " tokens, shorter than one sequence: seq_len="
              + seqLen
              + " needs "
              + (seqLen + 1)
              + " (the inputs and the label of the last one)");
    }
    final long sequences = (n - 1) / seqLen;
    final long read =
        Math.min(sequences, steps > sequences / batch ? sequences : steps * (long) batch);
    final long span = sliceEnd - sliceStart + 1L;
    for (long i = 0; i < read; i++) {
      final long bad = src.firstOutside(i * seqLen + sliceStart, span, vocab);
      if (bad >= 0) {
        throw new InvalidInputException(
            who
                + ": token id "
                + src.idAt(bad)
                + " at index "
                + bad
                + " is outside the vocabulary [0, "
                + vocab
                + ") (sequence "
                + i
                + " of the "
                + read
                + " the run reads)");
      }
    }
    return new DataReach(sequences, read, read * seqLen + 1, read * span);
  }

  /**
   * Refuses an {@code --init-from} file unless it holds exactly the model's tensors, F32, with its
   * shapes, all finite ({@link WeightsIo#check}).
   */
  public static void checkWeights(final Path file, final ModelConfig config) {
    WeightsIo.check(file, config);
  }
}
