package io.seqpar.deploy.k8s;

/**
 * The {@code /dev/shm} a worker pod needs for Aeron's memory-mapped log buffers (conventions §1.5,
 * {@code AeronTransport} javadoc). Each worker runs its own media driver over UDP and, in the worst
 * case (All-Gather), holds one publication to and one image from every other rank, each mapping 3 ×
 * term length:
 *
 * <pre>
 *   shm = 2·(N−1)·3·termLength + 16 MiB      (CnC file, counters, loss report, headroom)
 *   at least 64 MiB (Docker's default), rounded up to whole MiB
 * </pre>
 *
 * For the default 4 MiB term: N = 4 → 88 MiB, N = 8 → 184 MiB, N = 64 → 1528 MiB. The emptyDir is
 * tmpfs, so it counts against the pod's memory limit: the renderer adds it to the worker's limit.
 */
public final class ShmSizing {
  /** Aeron's fixed files (CnC, counters, error log, loss report) plus headroom. */
  public static final long OVERHEAD_BYTES = 16L << 20;

  /** Never less than a container runtime's default {@code /dev/shm}. */
  public static final long MIN_BYTES = 64L << 20;

  /** The term length {@code AeronTransport} uses by default. */
  public static final int DEFAULT_TERM_LENGTH = 4 << 20;

  private static final long MIB = 1L << 20;

  private ShmSizing() {}

  /** The {@code /dev/shm} size limit in bytes for one worker of {@code workers}. */
  public static long workerBytes(final int workers, final int termLength) {
    final long logs = 2L * (workers - 1) * 3L * termLength;
    final long bytes = Math.max(MIN_BYTES, logs + OVERHEAD_BYTES);
    return (bytes + MIB - 1) / MIB * MIB;
  }

  /** The same in MiB (what the manifests write, as {@code <n>Mi}). */
  public static long workerMib(final int workers, final int termLength) {
    return workerBytes(workers, termLength) / MIB;
  }
}
