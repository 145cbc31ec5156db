package io.seqpar.collectives.bench;

import io.seqpar.collectives.ExchangePattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One sweep: op, per-rank sizes min..max by factor, warmup and timed iterations per size, All-Scan
 * K (≤ 0: default), and {@code jitWarmup} untimed iterations at a small size before the sweep so
 * the JIT has compiled the data path (a JVM needs thousands of calls, nccl-tests' C needs none).
 * {@code pattern} forces AllGather's and AllReduce's {@link ExchangePattern}; null means each one's
 * default ({@link #patternFor}).
 */
public record BenchSpec(
    BenchOp op,
    long minBytes,
    long maxBytes,
    int factor,
    int warmup,
    int iters,
    int blocks,
    int jitWarmup,
    ExchangePattern pattern) {

  /** The sizes of the sweep, each a multiple of 4 bytes. */
  public List<Long> sizes() {
    final List<Long> out = new ArrayList<>();
    for (long s = minBytes; s <= maxBytes; s *= factor) {
      out.add(s);
      if (factor == 1) {
        break;
      }
    }
    return out;
  }

  /** As key=value arguments for a child rank. */
  public List<String> toArgs() {
    return List.of(
        "op=" + op.cliName(),
        "minBytes=" + minBytes,
        "maxBytes=" + maxBytes,
        "factor=" + factor,
        "warmup=" + warmup,
        "iters=" + iters,
        "blocks=" + blocks,
        "jitWarmup=" + jitWarmup,
        "pattern=" + (pattern == null ? "default" : pattern.name().toLowerCase(Locale.ROOT)));
  }

  /** Parses what {@link #toArgs()} wrote. */
  public static BenchSpec fromArgs(final java.util.Map<String, String> a) {
    return new BenchSpec(
        BenchOp.fromName(a.get("op")),
        Long.parseLong(a.get("minBytes")),
        Long.parseLong(a.get("maxBytes")),
        Integer.parseInt(a.get("factor")),
        Integer.parseInt(a.get("warmup")),
        Integer.parseInt(a.get("iters")),
        Integer.parseInt(a.get("blocks")),
        Integer.parseInt(a.getOrDefault("jitWarmup", "0")),
        parsePattern(a.getOrDefault("pattern", "default")));
  }

  /**
   * The exchange pattern the op runs with at {@code bytes} per rank, for {@code ranks} ranks on a
   * host whose ranks do ({@code oversubscribed}) or do not outnumber its cores; null for the scans.
   */
  public ExchangePattern patternFor(
      final boolean oversubscribed, final int ranks, final long bytes) {
    return switch (op) {
      case ALLGATHER_RAW ->
          pattern != null ? pattern : ExchangePattern.gatherDefault(oversubscribed);
      case ALLREDUCE ->
          pattern != null ? pattern : ExchangePattern.reduceDefault(oversubscribed, ranks, bytes);
      default -> null;
    };
  }

  /**
   * The algorithm reported for the sweep: {@link BenchOp#algorithm} of its pattern, or, where the
   * default AllReduce changes pattern with the size, the rule (e.g. {@code shared<=4MiB,ring}).
   */
  public String algorithmFor(final boolean oversubscribed, final int ranks) {
    if (op == BenchOp.ALLREDUCE && pattern == null && oversubscribed) {
      final long sharedMax =
          ranks >= 8
              ? ExchangePattern.SHARED_MAX_BYTES
              : ExchangePattern.SHARED_FEW_RANKS_MAX_BYTES;
      final ExchangePattern above =
          ExchangePattern.reduceMessageDefault(true, ranks, sharedMax + 1);
      return op.algorithm(ExchangePattern.SHARED)
          + "<="
          + sizeName(sharedMax)
          + (above == ExchangePattern.HALVING
              ? ",halving<=" + sizeName(ExchangePattern.HALVING_MAX_BYTES)
              : "")
          + ",ring";
    }
    return op.algorithm(patternFor(oversubscribed, ranks, maxBytes));
  }

  private static String sizeName(final long bytes) {
    return bytes >= 1 << 20 ? (bytes >> 20) + "MiB" : (bytes >> 10) + "KiB";
  }

  /**
   * {@code ring}, {@code direct}, {@code halving} or {@code shared}; anything else (the CLI allows
   * only "auto") is null.
   */
  public static ExchangePattern parsePattern(final String name) {
    return switch (name) {
      case "ring" -> ExchangePattern.RING;
      case "direct" -> ExchangePattern.DIRECT;
      case "halving" -> ExchangePattern.HALVING;
      case "shared" -> ExchangePattern.SHARED;
      default -> null;
    };
  }
}
