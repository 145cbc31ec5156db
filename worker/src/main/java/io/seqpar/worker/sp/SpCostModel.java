package io.seqpar.worker.sp;

import io.seqpar.InvalidInputException;
import io.seqpar.collectives.ScanShape;
import io.seqpar.collectives.algo.AllScan;
import io.seqpar.io.AtomicFiles;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The latency/bandwidth (α–β) model that {@link SpStrategy#AUTO} uses (algorithms.md §2.8). For a
 * state of M bytes and log-decay of G bytes per rank, P ranks:
 *
 * <pre>
 *   allscan    (P + K − 2) · (α + β·M/K)        K = All-Scan blocks
 *   allgather  (P − 1)     · (α + β·(M + G))     ring AllGather, then a local fold
 *   tree       ⌈log2 P⌉    · (α + β·(M + G))
 * </pre>
 *
 * The rule: pick the algorithm with the smallest predicted time; ties go to allscan, which moves
 * the fewest bytes. The chain is never picked: it cannot overlap compute and its critical path (P −
 * 1 hops after a full local pass) dominates allscan's. α and β default to figures measured on Aeron
 * IPC on the 2-core dev machine and can be calibrated: a properties file with {@code alpha_ns} and
 * {@code beta_ns_per_byte}.
 */
public record SpCostModel(double alphaNs, double betaNsPerByte) {
  /** Aeron IPC on the dev machine: ~25 µs per hop, ~1.5 GB/s. */
  public static final SpCostModel DEFAULT = new SpCostModel(25_000, 1.0 / 1.5);

  public SpCostModel {
    if (!(alphaNs >= 0) || !(betaNsPerByte >= 0)) {
      throw new IllegalArgumentException(
          "alpha_ns=" + alphaNs + " beta_ns_per_byte=" + betaNsPerByte + " (both must be >= 0)");
    }
  }

  /** Reads {@code alpha_ns} and {@code beta_ns_per_byte} from a properties file. */
  public static SpCostModel load(final Path file) {
    final Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (final IOException e) {
      throw new InvalidInputException(file + ": cannot read calibration: " + e.getMessage(), e);
    }
    try {
      return new SpCostModel(
          Double.parseDouble(p.getProperty("alpha_ns", "")),
          Double.parseDouble(p.getProperty("beta_ns_per_byte", "")));
    } catch (final IllegalArgumentException e) {
      throw new InvalidInputException(
          file + ": needs numeric alpha_ns and beta_ns_per_byte >= 0 (" + e.getMessage() + ")");
    }
  }

  /**
   * Fits α and β from a chain benchmark ({@code seqpar bench collectives --op chain}): one pass is
   * P − 1 hops of {@code α + β·M}, so per-hop time against message size is a line; α is its value
   * at the smallest size and β its slope to the largest. Needs two or more sizes.
   *
   * @param bytes message sizes, ascending
   * @param medianUs median pass time at each size
   */
  public static SpCostModel fitChain(final int ranks, final long[] bytes, final double[] medianUs) {
    if (ranks < 2 || bytes.length < 2 || bytes.length != medianUs.length) {
      throw new IllegalArgumentException(
          "calibration needs P >= 2 and two or more sizes, got P="
              + ranks
              + " sizes="
              + bytes.length);
    }
    final int last = bytes.length - 1;
    final double hop0 = medianUs[0] * 1e3 / (ranks - 1);
    final double hop1 = medianUs[last] * 1e3 / (ranks - 1);
    final double beta = Math.max(0, (hop1 - hop0) / (bytes[last] - bytes[0]));
    final double alpha = Math.max(0, hop0 - beta * bytes[0]);
    return new SpCostModel(alpha, beta);
  }

  /** Writes {@code alpha_ns} and {@code beta_ns_per_byte} (temp file, then rename). */
  public void save(final Path file) {
    final Properties p = new Properties();
    p.setProperty("alpha_ns", Double.toString(alphaNs));
    p.setProperty("beta_ns_per_byte", Double.toString(betaNsPerByte));
    try {
      final java.io.StringWriter w = new java.io.StringWriter();
      p.store(
          w, "seqpar SP cost model: per-hop latency and per-byte time (seqpar bench collectives)");
      AtomicFiles.write(file, w.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    } catch (final IOException e) {
      throw new java.io.UncheckedIOException("cannot write calibration " + file, e);
    }
  }

  /** Predicted nanoseconds of one scan pass by {@code s} over {@code ranks} ranks. */
  public double predictNs(final SpStrategy s, final int ranks, final ScanShape shape) {
    if (ranks <= 1) {
      return 0;
    }
    final double m = shape.stateBytes();
    final double g = shape.logBytes();
    return switch (s) {
      case ALLSCAN -> {
        final int k = AllScan.defaultBlocks(shape, ranks, false);
        yield (ranks + k - 2) * (alphaNs + betaNsPerByte * m / k);
      }
      case ALLGATHER -> (ranks - 1) * (alphaNs + betaNsPerByte * (m + g));
      case TREE -> ceilLog2(ranks) * (alphaNs + betaNsPerByte * (m + g));
      case CHAIN -> (ranks - 1) * (alphaNs + betaNsPerByte * m);
      case AUTO -> throw new IllegalArgumentException("auto has no cost of its own");
    };
  }

  /** The strategy {@code auto} resolves to. */
  public SpStrategy choose(final int ranks, final ScanShape shape) {
    SpStrategy best = SpStrategy.ALLSCAN;
    double bestNs = predictNs(best, ranks, shape);
    for (final SpStrategy s : new SpStrategy[] {SpStrategy.ALLGATHER, SpStrategy.TREE}) {
      final double ns = predictNs(s, ranks, shape);
      if (ns < bestNs) {
        best = s;
        bestNs = ns;
      }
    }
    return best;
  }

  static int ceilLog2(final int n) {
    return 32 - Integer.numberOfLeadingZeros(n - 1);
  }
}
