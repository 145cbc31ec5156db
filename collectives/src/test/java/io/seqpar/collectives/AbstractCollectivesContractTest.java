package io.seqpar.collectives;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.collectives.algo.AllGather;
import io.seqpar.collectives.algo.AllReduce;
import io.seqpar.collectives.algo.AllScan;
import io.seqpar.collectives.algo.Barrier;
import io.seqpar.collectives.algo.Broadcast;
import io.seqpar.collectives.algo.ReduceScatter;
import io.seqpar.collectives.algo.RingExchange;
import io.seqpar.collectives.exceptions.CollectiveTimeoutException;
import io.seqpar.collectives.exceptions.PeerLostException;
import io.seqpar.testing.OracleCase;
import io.seqpar.testing.TensorAssert;
import io.seqpar.testing.Tolerance;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract every transport passes: each collective, forward and reverse scans by every
 * algorithm against the oracle, P ∈ {1, 2, 3, 4, 7}, payloads from 4 B to 64 MiB.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
public abstract class AbstractCollectivesContractTest {
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
  private final Map<Integer, RankGroup> groups = new HashMap<>();

  protected abstract RankGroup.Kind kind();

  private RankGroup group(final int p) throws Exception {
    RankGroup g = groups.get(p);
    if (g == null) {
      g = RankGroup.create(kind(), p, TIMEOUT_NS);
      groups.put(p, g);
    }
    return g;
  }

  /** Runs on every rank of the cached P-group; a failure discards the group (it is out of step). */
  protected <T> List<T> run(final int p, final RankGroup.RankTask<T> task) throws Exception {
    try {
      return group(p).run(task);
    } catch (final Exception e) {
      final RankGroup g = groups.remove(p);
      if (g != null) {
        g.close();
      }
      throw e;
    }
  }

  @AfterAll
  void closeGroups() {
    groups.values().forEach(RankGroup::close);
    groups.clear();
  }

  static MemorySegment segment(final float[] values) {
    final MemorySegment s = Arena.ofAuto().allocate(Math.max(4L, values.length * 4L), 64);
    MemorySegment.copy(values, 0, s, F, 0, values.length);
    return s;
  }

  static float[] floats(final MemorySegment s, final int n) {
    final float[] out = new float[n];
    MemorySegment.copy(s, F, 0, out, 0, n);
    return out;
  }

  static Stream<Arguments> algorithmsAndP() {
    final List<Arguments> out = new ArrayList<>();
    for (final int p : new int[] {2, 3, 4}) {
      for (final int k : new int[] {0, 1, 3}) {
        out.add(Arguments.of(ScanAlgorithm.ALLSCAN, p, k));
      }
      out.add(Arguments.of(ScanAlgorithm.ALLGATHER, p, 0));
      out.add(Arguments.of(ScanAlgorithm.CHAIN, p, 0));
      out.add(Arguments.of(ScanAlgorithm.TREE, p, 0));
    }
    return out.stream();
  }

  /** Oracle: every case, forward (S_in) and reverse (dS_out), fed local_decay/state/dstate. */
  @ParameterizedTest(name = "{0} P={1} K={2}")
  @MethodSource("algorithmsAndP")
  void scanMatchesOracleForEveryCase(final ScanAlgorithm alg, final int p, final int blocks)
      throws Exception {
    for (final String name : OracleCase.names()) {
      final OracleCase c = OracleCase.load(name);
      final int heads = c.b() * c.h();
      final ScanShape shape = new ScanShape(heads, c.dk(), c.dv());
      final double[] decay = c.expected("shard_P" + p + "_local_decay");
      final double[] local = c.expected("shard_P" + p + "_local_state");
      final double[] dlocal = c.expected("shard_P" + p + "_local_dstate");
      final int rows = shape.rows();
      final int n = rows * c.dv();
      final List<float[][]> results =
          run(
              p,
              (rank, comm) -> {
                final float[] log = new float[rows];
                final float[] st = new float[n];
                final float[] dst = new float[n];
                for (int i = 0; i < rows; i++) {
                  log[i] = (float) Math.log(decay[rank * rows + i]);
                }
                for (int i = 0; i < n; i++) {
                  st[i] = (float) local[rank * n + i];
                  dst[i] = (float) dlocal[rank * n + i];
                }
                final int k = Math.min(blocks, rows);
                final ScanCollective scan = alg.create(comm, shape, k);
                final MemorySegment out = Arena.ofAuto().allocate(shape.stateBytes(), 64);
                scan.scan(ScanDirection.FORWARD, segment(log), segment(st), out);
                final float[] fwd = floats(out, n);
                scan.scan(ScanDirection.REVERSE, segment(log), segment(dst), out);
                return new float[][] {fwd, floats(out, n)};
              });
      final String sIn = "shard_P" + p + "_S_in";
      final String dOut = "shard_P" + p + "_dS_out";
      final double[] expF = c.expected(sIn);
      final double[] expB = c.expected(dOut);
      for (int r = 0; r < p; r++) {
        TensorAssert.assertClose(
            name + " " + alg + " K=" + blocks + " rank " + r + " " + sIn,
            java.util.Arrays.copyOfRange(expF, r * n, (r + 1) * n),
            results.get(r)[0],
            c.tolerance(sIn));
        TensorAssert.assertClose(
            name + " " + alg + " K=" + blocks + " rank " + r + " " + dOut,
            java.util.Arrays.copyOfRange(expB, r * n, (r + 1) * n),
            results.get(r)[1],
            c.tolerance(dOut));
      }
    }
  }

  static Stream<Arguments> syntheticScans() {
    final List<Arguments> out = new ArrayList<>();
    for (final ScanAlgorithm a : ScanAlgorithm.values()) {
      for (final int p : new int[] {1, 7}) {
        out.add(Arguments.of(a, p));
      }
    }
    return out.stream();
  }

  /** P = 1 and P = 7 (the oracle shards only 2–4) against a float64 reference, GLA-like decays. */
  @ParameterizedTest(name = "{0} P={1}")
  @MethodSource("syntheticScans")
  void scanMatchesFloat64ReferenceAtOneAndSevenRanks(final ScanAlgorithm alg, final int p)
      throws Exception {
    final ScanShape shape = new ScanShape(2, 8, 12);
    final int rows = shape.rows();
    final int n = rows * shape.dv();
    final float[][] logs = new float[p][rows];
    final float[][] states = new float[p][n];
    final Random rnd = new Random(42 + p);
    for (int r = 0; r < p; r++) {
      for (int i = 0; i < rows; i++) {
        logs[r][i] = (float) (-0.3 * rnd.nextDouble());
      }
      for (int i = 0; i < n; i++) {
        states[r][i] = (float) rnd.nextGaussian();
      }
    }
    for (final boolean forward : new boolean[] {true, false}) {
      final List<float[]> got =
          run(
              p,
              (rank, comm) -> {
                final ScanCollective scan = alg.create(comm, shape, 5);
                final MemorySegment out = Arena.ofAuto().allocate(shape.stateBytes(), 64);
                scan.scan(
                    forward ? ScanDirection.FORWARD : ScanDirection.REVERSE,
                    segment(logs[rank]),
                    segment(states[rank]),
                    out);
                return floats(out, n);
              });
      final double[][] exp = ScanReference.exclusive(logs, states, rows, shape.dv(), forward);
      for (int r = 0; r < p; r++) {
        TensorAssert.assertClose(
            alg + " P=" + p + (forward ? " fwd" : " bwd") + " rank " + r,
            exp[r],
            got.get(r),
            Tolerance.of(1e-5, 1e-4));
      }
    }
  }

  /** Accounting: states received per rank as a later issue asserts. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("io.seqpar.collectives.AbstractCollectivesContractTest#scanAlgorithms")
  void scanCountsStatesReceived(final ScanAlgorithm alg) throws Exception {
    final int p = 4;
    final ScanShape shape = new ScanShape(1, 16, 16);
    final List<long[]> stats =
        run(
            p,
            (rank, comm) -> {
              final ScanCollective scan = alg.create(comm, shape, 4);
              final MemorySegment log = Arena.ofAuto().allocate(shape.logBytes());
              final MemorySegment st = Arena.ofAuto().allocate(shape.stateBytes());
              final MemorySegment out = Arena.ofAuto().allocate(shape.stateBytes());
              scan.scan(ScanDirection.REVERSE, log, st, out);
              return new long[] {scan.stats().statesReceived(), scan.stats().bytesReceived()};
            });
    for (int r = 0; r < p; r++) {
      final int v = p - 1 - r;
      final long expected =
          switch (alg) {
            case ALLSCAN, CHAIN -> v == 0 ? 0 : 1;
            case ALLGATHER -> p - 1;
            case TREE -> (v >= 1 ? 1 : 0) + (v >= 2 ? 1 : 0);
          };
      assertEquals(expected, stats.get(r)[0], alg + " rank " + r + " statesReceived");
      if (alg == ScanAlgorithm.ALLSCAN || alg == ScanAlgorithm.CHAIN) {
        assertEquals(
            v == 0 ? 0 : shape.stateBytes(), stats.get(r)[1], alg + " rank " + r + " bytes");
      }
    }
  }

  static Stream<ScanAlgorithm> scanAlgorithms() {
    return Stream.of(ScanAlgorithm.values());
  }

  static Stream<Arguments> ranksAndSizes() {
    final List<Arguments> out = new ArrayList<>();
    for (final int p : new int[] {1, 2, 3, 4, 7}) {
      for (final int bytes : new int[] {4, 4100, 200_000}) {
        out.add(Arguments.of(p, bytes));
      }
    }
    return out.stream();
  }

  static Stream<Arguments> ranksSizesAndPatterns() {
    final List<Arguments> out = new ArrayList<>();
    for (final ExchangePattern pattern : ExchangePattern.values()) {
      ranksAndSizes().forEach(a -> out.add(Arguments.of(a.get()[0], a.get()[1], pattern)));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "P={0} bytes={1} {2}")
  @MethodSource("ranksSizesAndPatterns")
  void allGatherCollectsEveryBlock(final int p, final int bytes, final ExchangePattern pattern)
      throws Exception {
    final List<byte[]> got =
        run(
            p,
            (rank, comm) -> {
              final MemorySegment send = Arena.ofAuto().allocate(bytes);
              for (int i = 0; i < bytes; i++) {
                send.set(ValueLayout.JAVA_BYTE, i, (byte) (rank * 31 + i));
              }
              final MemorySegment recv = Arena.ofAuto().allocate((long) p * bytes);
              final AllGather ag = new AllGather(comm, pattern);
              ag.start(send, recv, bytes);
              ag.await();
              return recv.toArray(ValueLayout.JAVA_BYTE);
            });
    final byte[] exp = new byte[p * bytes];
    for (int q = 0; q < p; q++) {
      for (int i = 0; i < bytes; i++) {
        exp[q * bytes + i] = (byte) (q * 31 + i);
      }
    }
    for (int r = 0; r < p; r++) {
      assertArrayEquals(exp, got.get(r), "rank " + r);
    }
  }

  @ParameterizedTest(name = "P={0} bytes={1} {2}")
  @MethodSource("ranksSizesAndPatterns")
  void allReduceSumsIdenticallyOnEveryRank(
      final int p, final int bytes, final ExchangePattern pattern) throws Exception {
    final int count = Math.max(1, bytes / 4);
    final List<float[]> got =
        run(
            p,
            (rank, comm) -> {
              final float[] x = new float[count];
              for (int i = 0; i < count; i++) {
                x[i] = (float) Math.sin(rank * 7.1 + i * 0.01);
              }
              final MemorySegment data = segment(x);
              final AllReduce ar =
                  new AllReduce(comm, count * 4, AllReduce.DEFAULT_SMALL_BYTES, pattern);
              // SHARED needs memory the ranks share (IPC, P > 1); elsewhere it falls back.
              assertEquals(
                  pattern != ExchangePattern.SHARED || (kind() == RankGroup.Kind.IPC && p > 1)
                      ? pattern
                      : ExchangePattern.reduceMessageDefault(comm.oversubscribed(), p, count * 4L),
                  ar.pattern());
              ar.start(data, count);
              ar.await();
              return floats(data, count);
            });
    final double[] exp = new double[count];
    for (int q = 0; q < p; q++) {
      for (int i = 0; i < count; i++) {
        exp[i] += (float) Math.sin(q * 7.1 + i * 0.01);
      }
    }
    for (int r = 0; r < p; r++) {
      TensorAssert.assertClose("allreduce rank " + r, exp, got.get(r), Tolerance.of(1e-5, 1e-5));
      assertArrayEquals(got.get(0), got.get(r), "rank " + r + " differs from rank 0");
    }
  }

  /**
   * Reducing a partition of a buffer window by window (uneven windows, one inside a single chunk,
   * one empty) gives every rank the bits of one whole-buffer call, on the ring, direct, halving (P
   * = 3: its ring fallback), shared (its fallback but over IPC) and one-round paths.
   */
  @ParameterizedTest(name = "P={0} count={1} {2}")
  @CsvSource({
    "3, 20000, RING",
    "4, 20000, RING",
    "4, 1000, RING",
    "3, 20000, DIRECT",
    "4, 20000, DIRECT",
    "7, 30000, DIRECT",
    "2, 1000, HALVING",
    "4, 20000, HALVING",
    "8, 30001, HALVING",
    "3, 20000, HALVING",
    "3, 20000, SHARED",
    "4, 30001, SHARED",
    "7, 9000, SHARED"
  })
  void allReduceByWindowsGivesTheBitsOfOneCall(
      final int p, final int count, final ExchangePattern pattern) throws Exception {
    final int[] cuts = {0, 1, count / 7, count / 7, count / 2 + 3, count - 5, count};
    final List<float[][]> got =
        run(
            p,
            (rank, comm) -> {
              final float[] x = new float[count];
              for (int i = 0; i < count; i++) {
                x[i] = (float) Math.sin(rank * 7.1 + i * 0.37) * (1 + (i % 13) * 1e3f);
              }
              final AllReduce ar =
                  new AllReduce(comm, count * 4, AllReduce.DEFAULT_SMALL_BYTES, pattern);
              final MemorySegment whole = segment(x);
              ar.start(whole, count);
              ar.await();
              final MemorySegment windows = segment(x);
              for (int w = 0; w + 1 < cuts.length; w++) {
                ar.start(windows, count, cuts[w], cuts[w + 1]);
                ar.await();
              }
              return new float[][] {floats(whole, count), floats(windows, count)};
            });
    for (int r = 0; r < p; r++) {
      assertArrayEquals(got.get(r)[0], got.get(r)[1], "rank " + r + ": windows differ");
      assertArrayEquals(got.get(0)[0], got.get(r)[0], "rank " + r + " differs from rank 0");
    }
  }

  /** Every rank ends with the sum of its own block; run twice to reuse the scratch. */
  @ParameterizedTest(name = "P={0} bytes={1}")
  @MethodSource("ranksAndSizes")
  void reduceScatterSumsEachBlockOnItsOwner(final int p, final int bytes) throws Exception {
    final int block = Math.max(1, bytes / 4 / p);
    final List<float[]> got =
        run(
            p,
            (rank, comm) -> {
              final ReduceScatter rs = new ReduceScatter(comm, block);
              float[] mine = null;
              for (int rep = 0; rep < 2; rep++) {
                final float[] x = new float[p * block];
                for (int i = 0; i < x.length; i++) {
                  x[i] = (float) Math.sin(rank * 3.7 + i * 0.013 + rep);
                }
                final MemorySegment data = segment(x);
                rs.start(data, block);
                rs.await();
                assertEquals(p - 1, rs.stats().statesReceived(), "blocks received");
                mine = floats(data.asSlice((long) rank * block * 4), block);
              }
              return mine;
            });
    for (int r = 0; r < p; r++) {
      final double[] exp = new double[block];
      for (int q = 0; q < p; q++) {
        for (int i = 0; i < block; i++) {
          exp[i] += (float) Math.sin(q * 3.7 + (r * block + i) * 0.013 + 1);
        }
      }
      TensorAssert.assertClose(
          "reduce-scatter rank " + r, exp, got.get(r), Tolerance.of(1e-5, 1e-5));
    }
  }

  @ParameterizedTest(name = "P={0}")
  @ValueSource(ints = {1, 2, 3, 4, 7})
  void broadcastFromEveryRoot(final int p) throws Exception {
    for (int root = 0; root < p; root++) {
      final int rt = root;
      final List<float[]> got =
          run(
              p,
              (rank, comm) -> {
                final float[] x = new float[3000];
                for (int i = 0; i < x.length; i++) {
                  x[i] = rank == rt ? i * 0.5f + rt : -1f;
                }
                final MemorySegment data = segment(x);
                final Broadcast b = new Broadcast(comm);
                b.start(data, x.length * 4, rt);
                b.await();
                return floats(data, x.length);
              });
      for (int r = 0; r < p; r++) {
        for (int i = 0; i < 3000; i++) {
          assertEquals(i * 0.5f + rt, got.get(r)[i], "root " + rt + " rank " + r + " [" + i + "]");
        }
      }
    }
  }

  @ParameterizedTest(name = "P={0}")
  @ValueSource(ints = {1, 2, 3, 4, 7})
  void barrierReleasesNoRankBeforeAllArrived(final int p) throws Exception {
    final AtomicInteger arrived = new AtomicInteger();
    final List<Integer> seen =
        run(
            p,
            (rank, comm) -> {
              final Barrier b = new Barrier(comm);
              if (rank == p - 1) {
                // The last rank arrives late; no one may leave before it.
                final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
                while (System.nanoTime() - until < 0) {
                  Thread.onSpinWait();
                }
              }
              arrived.incrementAndGet();
              b.run();
              return arrived.get();
            });
    for (int r = 0; r < p; r++) {
      assertEquals(p, seen.get(r), "rank " + r + " left the barrier early");
    }
  }

  @ParameterizedTest(name = "P={0}")
  @ValueSource(ints = {1, 2, 3, 4, 7})
  void ringExchangeIsAsyncAndDeliversFromPreviousRank(final int p) throws Exception {
    final int count = 100_000;
    final List<float[]> got =
        run(
            p,
            (rank, comm) -> {
              final float[] x = new float[count];
              for (int i = 0; i < count; i++) {
                x[i] = rank * 1000f + i;
              }
              final MemorySegment send = segment(x);
              final MemorySegment recv = Arena.ofAuto().allocate(count * 4L);
              final RingExchange ring = new RingExchange(comm);
              ring.start(send, recv, count * 4);
              double overlap = 0; // stand-in for compute that overlaps the exchange
              for (int i = 0; i < 10_000 && !ring.poll(); i++) {
                overlap += Math.sqrt(i);
              }
              ring.await();
              assertTrue(overlap >= 0);
              return floats(recv, count);
            });
    for (int r = 0; r < p; r++) {
      final int src = (r - 1 + p) % p;
      assertEquals(src * 1000f, got.get(r)[0]);
      assertEquals(src * 1000f + count - 1, got.get(r)[count - 1]);
    }
  }

  /** 64 MiB, far beyond one Aeron message (≤ 16 MiB): fragmentation and back-pressure. */
  @Test
  void ringExchangeOf64MiB() throws Exception {
    final int bytes = 64 << 20;
    final List<long[]> got =
        run(
            2,
            (rank, comm) -> {
              final MemorySegment send = Arena.ofAuto().allocate(bytes, 64);
              final MemorySegment recv = Arena.ofAuto().allocate(bytes, 64);
              for (long i = 0; i < bytes / 8; i++) {
                send.setAtIndex(ValueLayout.JAVA_LONG, i, i * 31 + rank);
              }
              new RingExchange(comm).exchange(send, recv, bytes);
              long bad = 0;
              for (long i = 0; i < bytes / 8; i++) {
                if (recv.getAtIndex(ValueLayout.JAVA_LONG, i) != i * 31 + (1 - rank)) {
                  bad++;
                }
              }
              return new long[] {bad};
            });
    assertEquals(0, got.get(0)[0]);
    assertEquals(0, got.get(1)[0]);
  }

  /** A 4 MiB state through All-Scan at P = 3 with the default K (pipelined multi-frame blocks). */
  @Test
  void allScanOfFourMiBStateWithDefaultBlocks() throws Exception {
    final ScanShape shape = new ScanShape(16, 64, 1024);
    final int p = 3;
    final int rows = shape.rows();
    final int n = rows * shape.dv();
    final float[][] logs = new float[p][rows];
    final float[][] states = new float[p][n];
    final Random rnd = new Random(7);
    for (int r = 0; r < p; r++) {
      for (int i = 0; i < rows; i++) {
        logs[r][i] = (float) (-0.1 * rnd.nextDouble());
      }
      for (int i = 0; i < n; i++) {
        states[r][i] = (float) rnd.nextGaussian();
      }
    }
    final List<float[]> got =
        run(
            p,
            (rank, comm) -> {
              final AllScan scan = new AllScan(comm, shape, 0);
              assertEquals(
                  AllScan.defaultBlocks(shape, comm.ranks(), comm.oversubscribed()), scan.blocks());
              final MemorySegment out = Arena.ofAuto().allocate(shape.stateBytes(), 64);
              scan.scan(ScanDirection.FORWARD, segment(logs[rank]), segment(states[rank]), out);
              return floats(out, n);
            });
    final double[][] exp = ScanReference.exclusive(logs, states, rows, shape.dv(), true);
    for (int r = 0; r < p; r++) {
      TensorAssert.assertClose(
          "4MiB allscan rank " + r, exp[r], got.get(r), Tolerance.of(1e-5, 1e-4));
    }
  }

  /** A rank that never joins: the others throw by the deadline, naming op, rank and epoch. */
  @Test
  void silentPeerMakesEveryWaitingRankThrowByTheDeadline() throws Exception {
    final long timeoutNs = TimeUnit.SECONDS.toNanos(2);
    try (RankGroup g = RankGroup.create(kind(), 3, timeoutNs)) {
      final CyclicBarrier start = new CyclicBarrier(2);
      final List<Object> got =
          g.run(
              (rank, comm) -> {
                if (rank == 2) {
                  return "absent";
                }
                start.await(30, TimeUnit.SECONDS);
                final MemorySegment s = Arena.ofAuto().allocate(64);
                final MemorySegment r = Arena.ofAuto().allocate(64 * 3);
                final long t0 = System.nanoTime();
                final AllGather ag = new AllGather(comm);
                ag.start(s, r, 64);
                final CollectiveTimeoutException e =
                    assertThrows(CollectiveTimeoutException.class, ag::await);
                return new Object[] {e, System.nanoTime() - t0};
              });
      int timedOutThemselves = 0;
      for (int r = 0; r < 2; r++) {
        final Object[] res = (Object[]) got.get(r);
        final CollectiveTimeoutException e = (CollectiveTimeoutException) res[0];
        final long elapsed = (long) res[1];
        assertTrue(elapsed < timeoutNs + TimeUnit.SECONDS.toNanos(1), "took " + elapsed + " ns");
        assertTrue(e.getMessage().contains("allgather: rank=" + r), e.getMessage());
        assertTrue(e.getMessage().contains("epoch=" + RankGroup.TEST_EPOCH), e.getMessage());
        assertTrue(e.getMessage().contains(" ms "), e.getMessage());
        if (e.getMessage().contains(" ms for a message from rank=")) { // its own deadline
          assertTrue(elapsed >= timeoutNs, "threw early after " + elapsed + " ns");
          if (r == 0) { // rank 0 waits on the absent rank itself (rank 1 may wait on rank 0)
            assertTrue(e.getMessage().contains("from rank=2"), e.getMessage());
          }
          timedOutThemselves++;
        } else { // the other timed out first and told it (fault notice)
          assertTrue(
              e.getMessage().contains("stopped: rank=" + (1 - r) + " timed out waiting for rank="),
              "unexpected " + e.getMessage());
        }
      }
      assertTrue(timedOutThemselves >= 1, "nobody reached its own deadline: " + got);
    }
  }

  /**
   * Rank 1 is gone; rank 2 waits on it, fails, and leaves at once; rank 0 waits only on rank 2.
   * Rank 0 must blame rank 1 (told by rank 2's fault notice), not rank 2 — the cascade a real kill
   * showed (SoftmaxProcessTest: a survivor that exited first was named instead of the killed rank).
   */
  @Test
  void survivorsBlameTheLostRankNotTheRankThatReportedIt() throws Exception {
    final long timeoutNs = TimeUnit.SECONDS.toNanos(20);
    try (RankGroup g = RankGroup.create(kind(), 3, timeoutNs)) {
      g.transport(1).close();
      final CountDownLatch rank2Gone = new CountDownLatch(1);
      final List<Object> got =
          g.run(
              (rank, comm) -> {
                if (rank == 1) {
                  return null;
                }
                final MemorySegment buf = Arena.ofAuto().allocate(64);
                final long seq = comm.nextSequence();
                if (rank == 0) {
                  assertTrue(rank2Gone.await(30, TimeUnit.SECONDS), "rank 2 never failed");
                }
                final int op = comm.postRecv(seq, 0, rank == 2 ? 1 : 2, buf, 0, 64);
                final long t0 = System.nanoTime();
                try {
                  final Exception e =
                      assertThrows(
                          CollectiveTimeoutException.class,
                          () -> {
                            comm.beginWait();
                            while (!comm.isComplete(op)) {
                              comm.idleOrFail(comm.progress(), "probe", seq, t0, t0 + timeoutNs);
                            }
                          });
                  return e.getMessage();
                } finally {
                  if (rank == 2) {
                    g.transport(2).close(); // leaves right after failing, like a process exiting
                    rank2Gone.countDown();
                  }
                }
              });
      assertTrue(
          got.get(2).toString().contains("probe: rank=2 lost rank=1"), got.get(2).toString());
      assertTrue(
          got.get(0).toString().contains("probe: rank=0 lost rank=1 (reported by rank=2)"),
          "rank 0 blames " + got.get(0));
      assertEquals(1, g.comm(2).counter(CollectiveCounter.FAULT_NOTICES_SENT));
      assertEquals(1, g.comm(0).counter(CollectiveCounter.FAULT_NOTICES_RECEIVED));
    }
  }

  /**
   * A peer that closes: the rank waiting on it fails (in memory at once, Aeron within timeouts).
   */
  @Test
  void closedPeerMakesWaitingRankThrow() throws Exception {
    final long timeoutNs = TimeUnit.SECONDS.toNanos(15);
    try (RankGroup g = RankGroup.create(kind(), 2, timeoutNs)) {
      g.transport(1).close();
      final List<Object> got =
          g.run(
              (rank, comm) -> {
                if (rank == 1) {
                  return null;
                }
                final MemorySegment s = Arena.ofAuto().allocate(64);
                final MemorySegment r = Arena.ofAuto().allocate(64);
                final RingExchange ring = new RingExchange(comm);
                final long t0 = System.nanoTime();
                final Exception e =
                    assertThrows(CollectiveTimeoutException.class, () -> ring.exchange(s, r, 64));
                return new Object[] {e, System.nanoTime() - t0};
              });
      final Object[] res = (Object[]) got.get(0);
      assertTrue((long) res[1] < timeoutNs + TimeUnit.SECONDS.toNanos(1));
      assertTrue(res[0].toString().contains("rank=1"), res[0].toString());
      if (kind() == RankGroup.Kind.INMEM) {
        assertInstanceOf(PeerLostException.class, res[0]);
      }
    }
  }
}
