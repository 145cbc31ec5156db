package io.seqpar.collectives.bench;

import io.seqpar.collectives.CollectiveCounter;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.ExchangePattern;
import io.seqpar.collectives.ScanCollective;
import io.seqpar.collectives.ScanDirection;
import io.seqpar.collectives.ScanShape;
import io.seqpar.collectives.algo.AllGather;
import io.seqpar.collectives.algo.AllReduce;
import io.seqpar.collectives.algo.AllScan;
import io.seqpar.collectives.algo.Barrier;
import io.seqpar.collectives.algo.RingExchange;
import io.seqpar.tensor.LargePages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * One rank's side of a sweep. Per size: a barrier before every iteration, the rank times its own
 * call, the last iteration is checked against a float64 expectation computed locally from the
 * deterministic per-rank fill, and one line goes out: {@code RESULT bytes count wrong t1,t2,…
 * singleCopyMessages combinedMessages} (timed iterations, ns).
 */
public final class BenchWorkload {
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

  /** The largest JIT warm-up size: above every small-message threshold. */
  static final int JIT_WARMUP_LARGE_BYTES = 512 * 1024;

  /**
   * Most All-Scan blocks in the JIT warm-up: 128 KiB blocks at {@link #JIT_WARMUP_LARGE_BYTES},
   * above the size where blocks go as frames rather than from shared memory, as at the timed sizes
   * that use K > 1.
   */
  static final int JIT_WARMUP_MAX_BLOCKS = 4;

  /** Calls of one case in a row in the JIT warm-up before the next case's turn. */
  static final int JIT_WARMUP_TURN = 25;

  private final Communicator comm;
  private final BenchSpec spec;
  private final int rank;
  private final int ranks;
  private final Barrier barrier;
  private boolean timedSweep;
  private MemorySegment scanBlock;

  public BenchWorkload(final Communicator comm, final BenchSpec spec) {
    this.comm = comm;
    this.spec = spec;
    this.rank = comm.rank();
    this.ranks = comm.ranks();
    this.barrier = new Barrier(comm);
  }

  /** The fill value of float i on rank q: small multiples of 1/4, exact in float32 sums. */
  static float fill(final int q, final long i) {
    return (float) ((q * 7 + i * 3) % 13 - 6) * 0.25f;
  }

  /** The log-decay of row i on rank q (≤ 0). */
  static float logDecay(final int q, final long i) {
    return -0.001f * (1 + (i + q) % 7);
  }

  public void run(final Consumer<String> out) {
    if (spec.jitWarmup() > 0) {
      jitWarmup();
    }
    timedSweep = true;
    for (final long bytes : spec.sizes()) {
      final long[] times = new long[spec.iters()];
      final long copiedBefore = comm.counter(CollectiveCounter.SINGLE_COPY_RECEIVED);
      final long combinedBefore = comm.counter(CollectiveCounter.COMBINE_RECEIVED);
      final Case c = prepare((int) bytes, spec.blocks());
      calls(c, times, spec.warmup());
      final long wrong = c.check();
      final long copied = comm.counter(CollectiveCounter.SINGLE_COPY_RECEIVED) - copiedBefore;
      final long combined = comm.counter(CollectiveCounter.COMBINE_RECEIVED) - combinedBefore;
      final StringBuilder sb = new StringBuilder("RESULT ").append(bytes).append(' ');
      sb.append(bytes / 4).append(' ').append(wrong).append(' ');
      for (int i = 0; i < times.length; i++) {
        sb.append(i == 0 ? "" : ",").append(times[i]);
      }
      sb.append(' ').append(copied).append(' ').append(combined);
      out.accept(sb.toString());
    }
    barrier.run();
  }

  /**
   * Untimed: compiles the data path before any timed point. C2 compiles a method for the branches
   * its profile has seen, and a branch first taken in a timed call deoptimizes the compiled code
   * ("made not entrant: uncommon trap"): the timed calls then run profiled C1 code while C2
   * compiles again. Traced with {@code -Xlog:jit+compilation}, P = 8, on every rank: All-Scan at 4
   * MiB (K = 4 where every warm-up size scanned in one block) deoptimized {@code
   * AbstractCollective.await} and {@code AllScan.doWork}; AllReduce at 256 KiB (32 KiB ring chunks,
   * its first data frames: the warm-up sizes' messages all went from shared memory) deoptimized
   * {@code Communicator.onFrame}. So the warm-up takes turns over every path the sweep runs — a
   * small size, each timed size up to {@link #JIT_WARMUP_LARGE_BYTES}, and All-Scan's K of the
   * largest sizes — so that the profile C2 compiles from has seen them all; a few calls first (the
   * interpreter does not profile until a method is warm) would not. The small size gets {@code
   * jitWarmup} calls, every other case a quarter of that (without a large one, a 256 KiB AllReduce
   * on P = 2 took 1.3–7.9 ms, interpreted reduce loop, instead of 0.07–0.15 ms).
   */
  private void jitWarmup() {
    final List<WarmupCase> plan = warmupPlan(spec, comm.ranks(), comm.oversubscribed());
    final List<Case> cases = new ArrayList<>();
    final int[] left = new int[plan.size()];
    for (int i = 0; i < plan.size(); i++) {
      cases.add(prepare(plan.get(i).bytes(), plan.get(i).blocks()));
      left[i] = plan.get(i).calls();
    }
    final long[] none = new long[0];
    for (boolean any = true; any; ) {
      any = false;
      for (int i = 0; i < left.length; i++) {
        final int n = Math.min(JIT_WARMUP_TURN, left[i]);
        if (n > 0) {
          calls(cases.get(i), none, n);
          left[i] -= n;
          any = true;
        }
      }
    }
  }

  /** One case of the JIT warm-up: {@code calls} calls at {@code bytes} with K {@code blocks}. */
  record WarmupCase(int bytes, int blocks, int calls) {}

  /** The cases {@link #jitWarmup} takes turns over, for a group of {@code ranks}. */
  static List<WarmupCase> warmupPlan(
      final BenchSpec spec, final int ranks, final boolean oversubscribed) {
    final int small = (int) Math.min(spec.minBytes(), 64 * 1024);
    final int large = (int) Math.min(spec.maxBytes(), JIT_WARMUP_LARGE_BYTES);
    final int others = Math.max(1, spec.jitWarmup() / 4);
    final TreeSet<Integer> sizes = new TreeSet<>();
    sizes.add(large);
    for (final long bytes : spec.sizes()) {
      sizes.add((int) Math.min(bytes, large));
    }
    sizes.remove(small);
    final List<WarmupCase> plan = new ArrayList<>();
    plan.add(new WarmupCase(small, spec.blocks(), spec.jitWarmup()));
    for (final int bytes : sizes) {
      plan.add(new WarmupCase(bytes, spec.blocks(), others));
    }
    if (spec.op() == BenchOp.ALLSCAN && spec.blocks() <= 0 && large > small) {
      final int k = AllScan.defaultBlocks(scanShape(spec.maxBytes()), ranks, oversubscribed);
      if (k > 1) {
        plan.add(new WarmupCase(large, Math.min(k, JIT_WARMUP_MAX_BLOCKS), others));
      }
    }
    return plan;
  }

  /**
   * One size, set up: buffers filled, collective made, once per size (and per warm-up case). The
   * per-size work is split into small methods on purpose. As one 860-byte method (fill loops, timed
   * loop, checks), the fill loops' back-edges made C2 compile it (OSR, then in full) with the whole
   * collective inlined: 190–340 ms of compiler time on a 2-core host, landing inside the timed
   * iterations (traced: the ranks' C2 threads ran 65–85% of the timed window, the ranks waited for
   * a core). Now a fill or check loop compiles alone, and the call loop ({@link #calls}) is hot in
   * the warm-up, so it is compiled there, before {@link CompilerQuiet} lets a timed size start.
   */
  private interface Case {
    /** Before a run of calls: writes the inputs again where cases share them (the scan buffers). */
    default void load() {}

    /** Untimed, before each call. */
    default void beforeCall() {}

    /** The timed call. */
    void call();

    /** Elements of the last call's result that differ from the float64 expectation. */
    long check();
  }

  /** {@code warmup} untimed calls, then {@code times.length} timed ones, a barrier before each. */
  private void calls(final Case c, final long[] times, final int warmup) {
    c.load();
    settle();
    for (int it = 0; it < warmup + times.length; it++) {
      c.beforeCall();
      barrier.run();
      final long t0 = System.nanoTime();
      c.call();
      record(times, it - warmup, System.nanoTime() - t0);
    }
  }

  /** K ≤ 0: All-Scan's default for the size. */
  private Case prepare(final int bytes, final int blocks) {
    return spec.op().scan() != null ? prepareScan(bytes, blocks) : prepareExchange(bytes);
  }

  /** The state of {@code bytes} per rank: rows of up to 256 floats, one head. */
  private static ScanShape scanShape(final long bytes) {
    final int count = (int) (bytes / 4);
    final int dv = Math.min(256, count);
    return new ScanShape(1, count / dv, dv);
  }

  private Case prepareScan(final int bytes, final int blocks) {
    final int count = bytes / 4;
    final ScanShape shape = scanShape(bytes);
    // One block for every size, shared with the ranks of this host where the transport can
    // (All-Scan's next rank then combines straight out of it), as a training step's buffers are.
    final MemorySegment block = scanBlock();
    final long stateAt = align64(shape.logBytes());
    final MemorySegment log = block.asSlice(0, shape.logBytes());
    final MemorySegment state = block.asSlice(stateAt, shape.stateBytes());
    final MemorySegment result =
        block.asSlice(stateAt + align64(shape.stateBytes()), shape.stateBytes());
    final ScanCollective scan = spec.op().scan().create(comm, shape, blocks);
    return new Case() {
      @Override
      public void load() {
        fillLogDecay(log, shape.rows());
        fillValues(state, count);
      }

      @Override
      public void call() {
        scan.scan(ScanDirection.FORWARD, log, state, result);
      }

      @Override
      public long check() {
        return checkScan(shape, result);
      }
    };
  }

  /** The scan buffers of the largest size this sweep runs (timed or JIT warm-up), made once. */
  private MemorySegment scanBlock() {
    if (scanBlock == null) {
      final long maxBytes = Math.max(spec.maxBytes(), JIT_WARMUP_LARGE_BYTES);
      final long maxRows = Math.max(1, maxBytes / 4 / 256);
      scanBlock = comm.allocateShared(align64(maxRows * 4) + 2 * align64(maxBytes));
    }
    return scanBlock;
  }

  private static long align64(final long bytes) {
    return (bytes + 63) & ~63L;
  }

  private Case prepareExchange(final int bytes) {
    final int count = bytes / 4;
    final Arena arena = Arena.ofAuto();
    final BenchOp op = spec.op();
    final MemorySegment send = LargePages.allocate(arena, bytes, 64);
    final MemorySegment recv =
        LargePages.allocate(arena, op == BenchOp.ALLGATHER_RAW ? (long) bytes * ranks : bytes, 64);
    fillValues(send, count); // an exchange's input is its own: written once
    final ExchangePattern pattern = spec.patternFor(comm.oversubscribed(), ranks, bytes);
    return switch (op) {
      case RING -> {
        final RingExchange ring = new RingExchange(comm);
        yield new Case() {
          @Override
          public void call() {
            ring.exchange(send, recv, bytes);
          }

          @Override
          public long check() {
            return checkRing(recv, count);
          }
        };
      }
      case ALLREDUCE -> {
        final AllReduce allReduce =
            new AllReduce(comm, bytes, AllReduce.DEFAULT_SMALL_BYTES, pattern);
        yield new Case() {
          @Override
          public void beforeCall() {
            MemorySegment.copy(send, 0, recv, 0, bytes); // in place: restore the input
          }

          @Override
          public void call() {
            allReduce.start(recv, count);
            allReduce.await();
          }

          @Override
          public long check() {
            return checkAllReduce(recv, count);
          }
        };
      }
      default -> {
        final AllGather allGather = new AllGather(comm, pattern);
        yield new Case() {
          @Override
          public void call() {
            allGather.start(send, recv, bytes);
            allGather.await();
          }

          @Override
          public long check() {
            return checkAllGather(recv, count);
          }
        };
      }
    };
  }

  /**
   * Before a timed size, once its buffers are set up: lets the compilations that the warm-up, the
   * previous size's check and this size's setup queued finish first ({@link CompilerQuiet}); the
   * barrier at the start of every iteration lines the ranks up again.
   */
  private void settle() {
    if (timedSweep && spec.jitWarmup() > 0) {
      CompilerQuiet.await();
    }
  }

  private void fillLogDecay(final MemorySegment log, final int rows) {
    for (int i = 0; i < rows; i++) {
      log.setAtIndex(F, i, logDecay(rank, i));
    }
  }

  private void fillValues(final MemorySegment values, final int count) {
    for (int i = 0; i < count; i++) {
      values.setAtIndex(F, i, fill(rank, i));
    }
  }

  private long checkRing(final MemorySegment recv, final int count) {
    final int src = (rank - 1 + ranks) % ranks;
    long wrong = 0;
    for (int i = 0; i < count; i++) {
      wrong += recv.getAtIndex(F, i) == fill(src, i) ? 0 : 1;
    }
    return wrong;
  }

  private long checkAllReduce(final MemorySegment recv, final int count) {
    long wrong = 0;
    for (int i = 0; i < count; i++) {
      double e = 0;
      for (int q = 0; q < ranks; q++) {
        e += fill(q, i);
      }
      wrong += recv.getAtIndex(F, i) == (float) e ? 0 : 1;
    }
    return wrong;
  }

  private long checkAllGather(final MemorySegment recv, final int count) {
    long wrong = 0;
    for (int q = 0; q < ranks; q++) {
      for (int i = 0; i < count; i++) {
        wrong += recv.getAtIndex(F, (long) q * count + i) == fill(q, i) ? 0 : 1;
      }
    }
    return wrong;
  }

  private static void record(final long[] times, final int timed, final long ns) {
    if (timed >= 0) {
      times[timed] = ns;
    }
  }

  /** Float64 exclusive prefix over ranks before this one; relative tolerance 1e-5. */
  private long checkScan(final ScanShape shape, final MemorySegment result) {
    final int rows = shape.rows();
    final int dv = shape.dv();
    long wrong = 0;
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < dv; j++) {
        double acc = 0;
        for (int q = 0; q < rank; q++) {
          acc = Math.exp(logDecay(q, i)) * acc + fill(q, (long) i * dv + j);
        }
        final double got = result.getAtIndex(F, (long) i * dv + j);
        if (!(Math.abs(got - acc) <= 1e-5 * (1 + Math.abs(acc)))) {
          wrong++;
        }
      }
    }
    return wrong;
  }
}
