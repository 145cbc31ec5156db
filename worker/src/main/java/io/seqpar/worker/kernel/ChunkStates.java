package io.seqpar.worker.kernel;

/**
 * The states entering every chunk of one head's slice, {@code [N+1, dk, dv]} (the last entry is the
 * final state), recorded by {@link ChunkedLinearAttention#forward} so that backward can skip its
 * recompute pass. This is the cache-versus-recompute trade of algorithms.md §1.4: it costs {@code
 * (N+1)·dk·dv·4} bytes per head (16 MiB for 64K tokens at C = 64, dk = dv = 64) and saves one K̃ᵀV
 * product per chunk in backward.
 *
 * <p>A workspace: allocate once per (layer, head) and reuse across steps; it grows only when a
 * longer slice arrives.
 */
public final class ChunkStates {
  float[] states = new float[0];

  /** Plain/const_decay: each chunk's masked score matrix A, {@code [N, C, C]} (C×C per chunk). */
  float[] scores = new float[0];

  int len = -1;
  int dk;
  int dv;
  int chunk;

  /** Whether this cache holds the states of a slice of {@code len} tokens with these sizes. */
  boolean matches(final int len, final int dk, final int dv, final int chunk) {
    return this.len == len && this.dk == dk && this.dv == dv && this.chunk == chunk;
  }

  /** Prepares to record a slice; grows the buffer if needed. */
  float[] prepare(final int len, final int dk, final int dv, final int chunk) {
    final int n = (len + chunk - 1) / chunk;
    final long need = (long) (n + 1) * dk * dv;
    if (need > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "slice of "
              + len
              + " tokens needs "
              + need
              + " floats of chunk states; use a larger chunk");
    }
    if (states.length < need) {
      states = new float[(int) need];
    }
    final long scoreNeed = (long) n * chunk * chunk;
    if (scoreNeed > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "slice of " + len + " tokens needs " + scoreNeed + " floats of chunk scores");
    }
    if (scores.length < scoreNeed) {
      scores = new float[(int) scoreNeed];
    }
    this.len = len;
    this.dk = dk;
    this.dv = dv;
    this.chunk = chunk;
    return states;
  }

  /** Forgets the recorded slice (the buffer is kept). */
  public void invalidate() {
    len = -1;
  }
}
