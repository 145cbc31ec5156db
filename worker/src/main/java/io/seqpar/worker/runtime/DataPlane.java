package io.seqpar.worker.runtime;

import io.seqpar.collectives.CollectiveContext;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.algo.Barrier;
import io.seqpar.collectives.transport.AeronTransport;
import io.seqpar.collectives.transport.CoreBinding;
import io.seqpar.collectives.transport.EmbeddedDriver;
import io.seqpar.config.SeqparContext;
import io.seqpar.proto.v1.PeerInfo;
import io.seqpar.proto.v1.RegisterResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.TimeUnit;

/**
 * One worker's Aeron data plane, in the order the control plane allows: {@link #bind} before
 * registering (UDP: an embedded media driver of its own and a bound port, whose address goes into
 * the registration; IPC: the shared driver's directory), then {@link #connect} with the peer table
 * the coordinator answered, fenced by the job id and epoch so frames of another job or epoch are
 * dropped.
 */
public final class DataPlane implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(DataPlane.class.getName());

  private final EmbeddedDriver driver;
  private final AeronTransport transport;
  private final boolean udp;
  private final int worldSize;
  private Communicator comm;

  private DataPlane(
      final EmbeddedDriver driver,
      final AeronTransport transport,
      final boolean udp,
      final int worldSize) {
    this.driver = driver;
    this.transport = transport;
    this.udp = udp;
    this.worldSize = worldSize;
  }

  /** Binds this rank's receive side; {@code ctx} must be concluded and name rank and world size. */
  public static DataPlane bind(final SeqparContext ctx, final int termLength) {
    final boolean udp = "udp".equals(ctx.transport());
    final EmbeddedDriver driver =
        udp
            ? (ctx.aeronDir() != null
                ? EmbeddedDriver.launch(ctx.aeronDir())
                : EmbeddedDriver.launchUnique("seqpar-w" + ctx.rank()))
            : null;
    try {
      final AeronTransport.Context t =
          new AeronTransport.Context()
              .kind(udp ? AeronTransport.Kind.UDP : AeronTransport.Kind.IPC)
              .aeronDir(udp ? driver.aeronDirectoryName() : ctx.aeronDir())
              .rank(ctx.rank())
              .ranks(ctx.worldSize())
              .termLength(termLength);
      if (udp) {
        t.bindHost(ctx.endpointHost() != null ? ctx.endpointHost() : "127.0.0.1")
            .bindPort(ctx.dataPort());
      }
      return new DataPlane(driver, AeronTransport.bind(t), udp, ctx.worldSize());
    } catch (final RuntimeException e) {
      if (driver != null) {
        driver.close();
      }
      throw e;
    }
  }

  /** The endpoint peers send to ("host:port" for UDP, "ipc" for IPC). */
  public String endpoint() {
    return transport.localEndpoint();
  }

  /**
   * Opens a publication to every peer of the registration, waits until all links are up, and passes
   * a barrier, each within {@code timeoutMs}.
   */
  public Communicator connect(
      final RegisterResponse reg, final long connectTimeoutMs, final long timeoutMs) {
    final long jobId = dataPlaneJobId(reg.getJob().getJobId());
    final long epoch = reg.getJob().getEpoch();
    final String[] endpoints = new String[reg.getWorldSize()];
    for (final PeerInfo p : reg.getPeersList()) {
      endpoints[p.getRank()] = p.getDataEndpoint();
    }
    transport
        .fence(jobId, epoch)
        .connect(endpoints, TimeUnit.MILLISECONDS.toNanos(connectTimeoutMs));
    final int localRanks = udp ? 1 : worldSize;
    // The thread that trains and runs the collectives gets a core of its own when every worker
    // of this host can have one (CoreBinding); the transport's threads, started above, keep the
    // process's mask.
    final int cpu = CoreBinding.bindIfOwnCore(reg.getRank(), localRanks);
    if (cpu >= 0) {
      LOG.log(System.Logger.Level.INFO, "rank {0}: bound to cpu {1}", reg.getRank(), cpu);
    }
    comm =
        new Communicator(
            transport,
            new CollectiveContext()
                .jobId(jobId)
                .epoch(epoch)
                .timeoutNs(TimeUnit.MILLISECONDS.toNanos(timeoutMs))
                .localRanks(localRanks)
                .idleStrategy(EmbeddedDriver.idleStrategyFor(localRanks)));
    new Barrier(comm).run();
    return comm;
  }

  /** The 64-bit id data-plane frames carry: the first 8 bytes of SHA-256 of the job id. */
  public static long dataPlaneJobId(final String jobId) {
    try {
      final byte[] h =
          MessageDigest.getInstance("SHA-256").digest(jobId.getBytes(StandardCharsets.UTF_8));
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (h[i] & 0xFF);
      }
      return v;
    } catch (final NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  @Override
  public void close() {
    if (comm != null) {
      comm.close();
    }
    transport.close();
    if (driver != null) {
      driver.close();
    }
  }
}
