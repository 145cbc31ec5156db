package io.seqpar.collectives.launch;

import io.seqpar.collectives.CollectiveContext;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.algo.Barrier;
import io.seqpar.collectives.transport.AeronTransport;
import io.seqpar.collectives.transport.CoreBinding;
import io.seqpar.collectives.transport.EmbeddedDriver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The start of every rank process launched by {@link RankProcessGroup}: parse {@code key=value}
 * arguments, bind the Aeron transport (IPC on the launcher's driver, or UDP on an embedded driver
 * of its own), print {@code ENDPOINT rank addr}, read {@code PEERS a0,a1,…}, connect, build the
 * communicator and pass a barrier. Keys: {@code transport=ipc|udp rank ranks aeronDir job epoch
 * stream termLength timeoutMs}.
 */
public final class RankBootstrap implements AutoCloseable {
  private final Map<String, String> args;
  private final int rank;
  private final int ranks;
  private final boolean udp;
  private final long timeoutNs;
  private EmbeddedDriver driver;
  private AeronTransport transport;
  private Communicator comm;

  private RankBootstrap(final Map<String, String> args) {
    this.args = args;
    this.rank = Integer.parseInt(args.get("rank"));
    this.ranks = Integer.parseInt(args.get("ranks"));
    this.udp = "udp".equals(args.get("transport"));
    this.timeoutNs =
        TimeUnit.MILLISECONDS.toNanos(Long.parseLong(args.getOrDefault("timeoutMs", "30000")));
  }

  /** Parses {@code key=value} arguments. */
  public static RankBootstrap parse(final String[] argv) {
    final Map<String, String> a = new HashMap<>();
    for (final String s : argv) {
      final int eq = s.indexOf('=');
      if (eq < 1) {
        throw new IllegalArgumentException("argument '" + s + "' is not key=value");
      }
      a.put(s.substring(0, eq), s.substring(eq + 1));
    }
    return new RankBootstrap(a);
  }

  /**
   * Binds, exchanges endpoints over stdin/stdout, connects, and passes a barrier; returns the
   * communicator. Waiting ranks use {@link EmbeddedDriver#idleStrategyFor} (UDP ranks may be on
   * other hosts, so they never count as oversubscribing this one).
   */
  public Communicator connect(final PrintStream out, final int defaultStream) throws Exception {
    if (udp) {
      // Under the launcher's prefix when there is one, so it can remove the directory of a rank
      // that was killed before its driver could.
      final String prefix = System.getenv(RankProcessGroup.RANK_DIR_PREFIX_ENV);
      driver =
          prefix == null || prefix.isBlank()
              ? EmbeddedDriver.launchUnique("seqpar-rank" + rank)
              : EmbeddedDriver.launch(prefix + "-" + rank);
    }
    transport =
        AeronTransport.bind(
            new AeronTransport.Context()
                .kind(udp ? AeronTransport.Kind.UDP : AeronTransport.Kind.IPC)
                .aeronDir(udp ? driver.aeronDirectoryName() : args.get("aeronDir"))
                .rank(rank)
                .ranks(ranks)
                .jobId(jobId())
                .epoch(epoch())
                .streamId(
                    Integer.parseInt(args.getOrDefault("stream", String.valueOf(defaultStream))))
                .termLength(
                    Integer.parseInt(
                        args.getOrDefault(
                            "termLength", String.valueOf(AeronTransport.DEFAULT_TERM_LENGTH)))));
    out.println("ENDPOINT " + rank + " " + transport.localEndpoint());
    final BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    final String peers = in.readLine();
    if (peers == null || !peers.startsWith("PEERS ")) {
      throw new IllegalStateException("expected PEERS line, got " + peers);
    }
    transport.connect(peers.substring(6).split(","), TimeUnit.SECONDS.toNanos(60));
    // UDP ranks may be on other hosts: one per host as far as this one can tell.
    final int localRanks = udp ? 1 : ranks;
    // After the transport's threads exist, which keep the process's mask.
    final int cpu = CoreBinding.bindIfOwnCore(rank, localRanks);
    if (cpu >= 0) {
      System.err.println("rank " + rank + ": collectives thread bound to cpu " + cpu);
    }
    comm =
        new Communicator(
            transport,
            new CollectiveContext()
                .jobId(jobId())
                .epoch(epoch())
                .timeoutNs(timeoutNs)
                .localRanks(localRanks)
                .idleStrategy(EmbeddedDriver.idleStrategyFor(localRanks)));
    new Barrier(comm).run();
    return comm;
  }

  /** The arguments (workload keys included). */
  public Map<String, String> args() {
    return args;
  }

  public int rank() {
    return rank;
  }

  public int ranks() {
    return ranks;
  }

  private long jobId() {
    return Long.parseLong(args.getOrDefault("job", "1"));
  }

  private long epoch() {
    return Long.parseLong(args.getOrDefault("epoch", "1"));
  }

  @Override
  public void close() {
    if (transport != null) {
      transport.close();
    }
    if (driver != null) {
      driver.close();
    }
  }
}
