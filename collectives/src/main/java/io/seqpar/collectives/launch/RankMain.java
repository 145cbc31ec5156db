package io.seqpar.collectives.launch;

import io.seqpar.collectives.CollectiveContext;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.ScanAlgorithm;
import io.seqpar.collectives.ScanCollective;
import io.seqpar.collectives.ScanDirection;
import io.seqpar.collectives.ScanShape;
import io.seqpar.collectives.algo.Barrier;
import io.seqpar.collectives.bench.BenchSpec;
import io.seqpar.collectives.bench.BenchWorkload;
import io.seqpar.collectives.transport.AeronTransport;
import io.seqpar.collectives.transport.EmbeddedDriver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
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
 * until something fails; prints {@code READY} after the first success — for kill tests).
 */
public final class RankMain {
  /** Exit code when a collective failed. */
  public static final int EXIT_COLLECTIVE_FAILED = 3;

  private RankMain() {}

  public static void main(final String[] argv) throws Exception {
    final Map<String, String> a = new HashMap<>();
    for (final String s : argv) {
      final int eq = s.indexOf('=');
      a.put(s.substring(0, eq), s.substring(eq + 1));
    }
    final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    final int rank = Integer.parseInt(a.get("rank"));
    final int ranks = Integer.parseInt(a.get("ranks"));
    final boolean udp = "udp".equals(a.get("transport"));
    final long timeoutNs =
        TimeUnit.MILLISECONDS.toNanos(Long.parseLong(a.getOrDefault("timeoutMs", "30000")));
    EmbeddedDriver driver = null;
    AeronTransport transport = null;
    long t0 = System.nanoTime();
    int code = 0;
    try {
      driver = udp ? EmbeddedDriver.launchUnique("seqpar-rank" + rank) : null;
      transport =
          AeronTransport.bind(
              new AeronTransport.Context()
                  .kind(udp ? AeronTransport.Kind.UDP : AeronTransport.Kind.IPC)
                  .aeronDir(udp ? driver.aeronDirectoryName() : a.get("aeronDir"))
                  .rank(rank)
                  .ranks(ranks)
                  .jobId(Long.parseLong(a.getOrDefault("job", "1")))
                  .epoch(Long.parseLong(a.getOrDefault("epoch", "1")))
                  .streamId(Integer.parseInt(a.getOrDefault("stream", "1001")))
                  .termLength(
                      Integer.parseInt(a.getOrDefault("termLength", String.valueOf(4 << 20)))));
      out.println("ENDPOINT " + rank + " " + transport.localEndpoint());
      final BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      final String peers = in.readLine();
      if (peers == null || !peers.startsWith("PEERS ")) {
        throw new IllegalStateException("expected PEERS line, got " + peers);
      }
      transport.connect(peers.substring(6).split(","), TimeUnit.SECONDS.toNanos(60));
      final Communicator comm =
          new Communicator(
              transport,
              new CollectiveContext()
                  .jobId(Long.parseLong(a.getOrDefault("job", "1")))
                  .epoch(Long.parseLong(a.getOrDefault("epoch", "1")))
                  .timeoutNs(timeoutNs)
                  .idleStrategy(EmbeddedDriver.idleStrategyFor(udp ? 1 : ranks)));
      new Barrier(comm).run();
      if ("fault".equals(a.get("workload"))) {
        final ScanShape shape = new ScanShape(1, 64, 64);
        final ScanCollective scan =
            ScanAlgorithm.fromName(a.getOrDefault("op", "allscan")).create(comm, shape, 4);
        final MemorySegment log = Arena.ofAuto().allocate(shape.logBytes());
        final MemorySegment st = Arena.ofAuto().allocate(shape.stateBytes());
        final MemorySegment res = Arena.ofAuto().allocate(shape.stateBytes());
        boolean ready = false;
        while (true) {
          t0 = System.nanoTime();
          scan.scan(ScanDirection.FORWARD, log, st, res);
          if (!ready) {
            out.println("READY " + rank);
            ready = true;
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
      if (transport != null) {
        transport.close();
      }
      if (driver != null) {
        driver.close();
      }
    }
    out.flush();
    System.exit(code);
  }
}
