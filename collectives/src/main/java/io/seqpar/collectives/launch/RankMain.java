package io.seqpar.collectives.launch;

import io.seqpar.collectives.CollectiveCounter;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.ExchangePattern;
import io.seqpar.collectives.ScanAlgorithm;
import io.seqpar.collectives.ScanCollective;
import io.seqpar.collectives.ScanDirection;
import io.seqpar.collectives.ScanShape;
import io.seqpar.collectives.algo.AllReduce;
import io.seqpar.collectives.bench.BenchSpec;
import io.seqpar.collectives.bench.BenchWorkload;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Entry point of one rank process (started by {@link RankProcessGroup}). Arguments are {@code
 * key=value}: {@code transport=ipc|udp rank= ranks= job= epoch= timeoutMs= workload=bench|fault},
 * {@code aeronDir=} for IPC (the shared driver), and the workload's own keys.
 *
 * <p>Protocol on stdout/stdin: print {@code ENDPOINT rank addr}; read {@code PEERS a0,a1,…};
 * connect; run; print result lines. On failure print {@code FAILED elapsedMs ExceptionClass:
 * message} and exit 3. UDP ranks run their own embedded driver (SHARED, parking idle strategy).
 *
 * <p>Workloads: {@code bench} (a {@link BenchSpec} sweep) and {@code fault} (All-Scan in a loop
 * until something fails; prints {@code READY rank copied=N combined=M} after the third success —
 * for kill tests).
 */
public final class RankMain {
  /** Exit code when a collective failed. */
  public static final int EXIT_COLLECTIVE_FAILED = 3;

  private RankMain() {}

  public static void main(final String[] argv) throws Exception {
    final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    final RankBootstrap boot = RankBootstrap.parse(argv);
    final Map<String, String> a = boot.args();
    final int rank = boot.rank();
    long t0 = System.nanoTime();
    int code = 0;
    try {
      final Communicator comm = boot.connect(out, 1001);
      if ("fault".equals(a.get("workload")) && "allreduce-shared".equals(a.get("op"))) {
        // AllReduces of 256 KiB through the staging area the host's ranks share.
        final int count = 64 * 1024;
        final AllReduce allReduce =
            new AllReduce(
                comm, count * Float.BYTES, AllReduce.DEFAULT_SMALL_BYTES, ExchangePattern.SHARED);
        if (allReduce.pattern() != ExchangePattern.SHARED) {
          throw new IllegalStateException("no shared staging: " + allReduce.pattern());
        }
        final MemorySegment data = Arena.ofAuto().allocate((long) count * Float.BYTES, 64);
        int done = 0;
        while (true) {
          t0 = System.nanoTime();
          allReduce.start(data, count);
          allReduce.await();
          if (++done == 3) {
            out.println("READY " + rank + " copied=0 combined=0");
          }
        }
      }
      if ("fault".equals(a.get("workload"))) {
        // rows=1024: 256 KiB states, blocks of 64 KiB (single copy between IPC ranks).
        final ScanShape shape =
            new ScanShape(1, Integer.parseInt(a.getOrDefault("rows", "64")), 64);
        final ScanCollective scan =
            ScanAlgorithm.fromName(a.getOrDefault("op", "allscan")).create(comm, shape, 4);
        // shared=true: buffers in shared windows, so hops go as combine descriptors.
        final long bytes = 64 + 2L * shape.stateBytes() + shape.logBytes();
        final MemorySegment block =
            "true".equals(a.get("shared"))
                ? comm.allocateShared(bytes)
                : Arena.ofAuto().allocate(bytes, 64);
        final MemorySegment st = block.asSlice(0, shape.stateBytes());
        final MemorySegment res = block.asSlice(shape.stateBytes(), shape.stateBytes());
        final MemorySegment log = block.asSlice(2L * shape.stateBytes(), shape.logBytes());
        int done = 0;
        while (true) {
          t0 = System.nanoTime();
          scan.scan(ScanDirection.FORWARD, log, st, res);
          if (++done == 3) { // the first collective decides single copy; the rest use it
            out.println(
                "READY "
                    + rank
                    + " copied="
                    + comm.counter(CollectiveCounter.SINGLE_COPY_RECEIVED)
                    + " combined="
                    + comm.counter(CollectiveCounter.COMBINE_RECEIVED));
          }
        }
      }
      new BenchWorkload(comm, BenchSpec.fromArgs(a)).run(out::println);
      out.println("DONE " + rank);
    } catch (final Throwable t) {
      out.println(
          "FAILED "
              + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)
              + " "
              + t.getClass().getName()
              + ": "
              + t.getMessage());
      code = EXIT_COLLECTIVE_FAILED;
    } finally {
      boot.close();
    }
    out.flush();
    System.exit(code);
  }
}
