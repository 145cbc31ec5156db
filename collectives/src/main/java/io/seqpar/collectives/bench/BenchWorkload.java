package io.seqpar.collectives.bench;

import io.seqpar.collectives.CollectiveCounter;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.ExchangePattern;
import io.seqpar.collectives.ScanCollective;
import io.seqpar.collectives.ScanDirection;
import io.seqpar.collectives.ScanShape;
import io.seqpar.collectives.algo.AllGather;
import io.seqpar.collectives.algo.AllReduce;
import io.seqpar.collectives.algo.Barrier;
import io.seqpar.collectives.algo.RingExchange;
import io.seqpar.tensor.LargePages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Consumer;

/**
 * One rank's side of a sweep. Per size: a barrier before every iteration, the rank times its own
 * call, the last iteration is checked against a float64 expectation computed locally from the
 * deterministic per-rank fill, and one line goes out: {@code RESULT bytes count wrong t1,t2,…
 * singleCopyMessages combinedMessages} (timed iterations, ns).
 */
public final class BenchWorkload {
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

  /** The second JIT warm-up size: above every small-message threshold. */
  static final int JIT_WARMUP_LARGE_BYTES = 512 * 1024;

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
      // Untimed: compile the data path before any timed point, at a small size and at one past
      // the small-message paths (AllReduce's ring, All-Scan with K > 1), whose loops the small
      // size never runs. Without the second, a 256 KiB AllReduce on P = 2 took 1.3–7.9 ms
      // (interpreted reduce loop) instead of 0.07–0.15 ms.
      final int small = (int) Math.min(spec.minBytes(), 64 * 1024);
      runSize(small, new long[1], spec.jitWarmup());
      final int large = (int) Math.min(spec.maxBytes(), JIT_WARMUP_LARGE_BYTES);
      if (large > small) {
        runSize(large, new long[1], Math.max(1, spec.jitWarmup() / 4));
      }
    }
    timedSweep = true;
    for (final long bytes : spec.sizes()) {
      final long[] times = new long[spec.iters()];
      final long copiedBefore = comm.counter(CollectiveCounter.SINGLE_COPY_RECEIVED);
      final long combinedBefore = comm.counter(CollectiveCounter.COMBINE_RECEIVED);
      final long wrong = runSize((int) bytes, times, spec.warmup());
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

  /*
   * The per-size work is split into small methods on purpose. As one 860-byte method (fill loops,
   * timed loop, checks), the fill loops' back-edges made C2 compile it (OSR, then in full) with the
   * whole collective inlined: 190–340 ms of compiler time on a 2-core host, landing inside the timed
   * iterations (traced: the ranks' C2 threads ran 65–85% of the timed window, the ranks waited for
   * a core). Now a fill or check loop compiles alone, and the timed loop never gets hot enough to
   * be compiled with the collective inlined into it.
   */
  private long runSize(final int bytes, final long[] times, final int warmup) {
    return spec.op().scan() != null
        ? runScan(bytes, times, warmup)
        : runExchange(bytes, times, warmup);
  }

  private long runScan(final int bytes, final long[] times, final int warmup) {
    final int count = bytes / 4;
    final int dv = Math.min(256, count);
    final ScanShape shape = new ScanShape(1, count / dv, dv);
    // One block for every size, shared with the ranks of this host where the transport can
    // (All-Scan's next rank then combines straight out of it), as a training step's buffers are.
    final MemorySegment block = scanBlock();
    final long stateAt = align64(shape.logBytes());
    final MemorySegment log = block.asSlice(0, shape.logBytes());
    final MemorySegment state = block.asSlice(stateAt, shape.stateBytes());
    final MemorySegment result =
        block.asSlice(stateAt + align64(shape.stateBytes()), shape.stateBytes());
    fillLogDecay(log, shape.rows());
    fillValues(state, count);
    final ScanCollective scan = spec.op().scan().create(comm, shape, spec.blocks());
    timeScan(scan, log, state, result, times, warmup);
    return checkScan(shape, result);
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

  private void timeScan(
      final ScanCollective scan,
      final MemorySegment log,
      final MemorySegment state,
      final MemorySegment result,
      final long[] times,
      final int warmup) {
    settle();
    for (int it = 0; it < warmup + times.length; it++) {
      barrier.run();
      final long t0 = System.nanoTime();
      scan.scan(ScanDirection.FORWARD, log, state, result);
      record(times, it - warmup, System.nanoTime() - t0);
    }
  }

  private long runExchange(final int bytes, final long[] times, final int warmup) {
    final int count = bytes / 4;
    final Arena arena = Arena.ofAuto();
    final BenchOp op = spec.op();
    final MemorySegment send = LargePages.allocate(arena, bytes, 64);
    final MemorySegment recv =
        LargePages.allocate(arena, op == BenchOp.ALLGATHER_RAW ? (long) bytes * ranks : bytes, 64);
    fillValues(send, count);
    final ExchangePattern pattern =
        spec.pattern() == null ? ExchangePattern.DEFAULT : spec.pattern();
    switch (op) {
      case RING -> timeRing(new RingExchange(comm), send, recv, bytes, times, warmup);
      case ALLREDUCE ->
          timeAllReduce(
              new AllReduce(comm, bytes, AllReduce.DEFAULT_SMALL_BYTES, pattern),
              send,
              recv,
              bytes,
              times,
              warmup);
      default -> timeAllGather(new AllGather(comm, pattern), send, recv, bytes, times, warmup);
    }
    return switch (op) {
      case RING -> checkRing(recv, count);
      case ALLREDUCE -> checkAllReduce(recv, count);
      default -> checkAllGather(recv, count);
    };
  }

  private void timeRing(
      final RingExchange ring,
      final MemorySegment send,
      final MemorySegment recv,
      final int bytes,
      final long[] times,
      final int warmup) {
    settle();
    for (int it = 0; it < warmup + times.length; it++) {
      barrier.run();
      final long t0 = System.nanoTime();
      ring.exchange(send, recv, bytes);
      record(times, it - warmup, System.nanoTime() - t0);
    }
  }

  private void timeAllReduce(
      final AllReduce allReduce,
      final MemorySegment send,
      final MemorySegment recv,
      final int bytes,
      final long[] times,
      final int warmup) {
    settle();
    for (int it = 0; it < warmup + times.length; it++) {
      MemorySegment.copy(send, 0, recv, 0, bytes); // in place: restore the input
      barrier.run();
      final long t0 = System.nanoTime();
      allReduce.start(recv, bytes / 4);
      allReduce.await();
      record(times, it - warmup, System.nanoTime() - t0);
    }
  }

  private void timeAllGather(
      final AllGather allGather,
      final MemorySegment send,
      final MemorySegment recv,
      final int bytes,
      final long[] times,
      final int warmup) {
    settle();
    for (int it = 0; it < warmup + times.length; it++) {
      barrier.run();
      final long t0 = System.nanoTime();
      allGather.start(send, recv, bytes);
      allGather.await();
      record(times, it - warmup, System.nanoTime() - t0);
    }
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
