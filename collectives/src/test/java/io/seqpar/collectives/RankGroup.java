package io.seqpar.collectives;

import io.seqpar.collectives.transport.AeronTransport;
import io.seqpar.collectives.transport.EmbeddedDriver;
import io.seqpar.collectives.transport.InMemoryTransport;
import io.seqpar.collectives.transport.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.agrona.CloseHelper;

/** P ranks as threads of this JVM over one transport kind, each with its own Communicator. */
public final class RankGroup implements AutoCloseable {
  /** Transport under test. */
  public enum Kind {
    INMEM,
    IPC,
    UDP
  }

  /** Work one rank does; returns a value collected per rank. */
  @FunctionalInterface
  public interface RankTask<T> {
    T run(int rank, Communicator comm) throws Exception;
  }

  public static final long TEST_JOB_ID = 0x5EC9_A11L;
  public static final long TEST_EPOCH = 3;

  private final Kind kind;
  private final int ranks;
  private final Transport[] transports;
  private final Communicator[] comms;
  private final EmbeddedDriver driver;
  private final ExecutorService pool;

  private RankGroup(
      final Kind kind,
      final int ranks,
      final Transport[] transports,
      final EmbeddedDriver driver,
      final ExecutorService pool,
      final long timeoutNs) {
    this.kind = kind;
    this.ranks = ranks;
    this.transports = transports;
    this.driver = driver;
    this.pool = pool;
    this.comms = new Communicator[ranks];
    for (int r = 0; r < ranks; r++) {
      comms[r] =
          new Communicator(
              transports[r],
              new CollectiveContext().jobId(TEST_JOB_ID).epoch(TEST_EPOCH).timeoutNs(timeoutNs));
    }
  }

  /**
   * A connected group; Aeron kinds start one embedded driver (unique /dev/shm dir) for all ranks.
   */
  public static RankGroup create(final Kind kind, final int ranks, final long timeoutNs)
      throws Exception {
    final ExecutorService pool =
        Executors.newFixedThreadPool(
            ranks,
            r -> {
              final Thread t = new Thread(r, "rank-worker");
              t.setDaemon(true);
              return t;
            });
    if (kind == Kind.INMEM) {
      return new RankGroup(kind, ranks, InMemoryTransport.group(ranks), null, pool, timeoutNs);
    }
    final EmbeddedDriver driver = EmbeddedDriver.launchUnique("seqpar-test");
    final AeronTransport[] ts = new AeronTransport[ranks];
    try {
      final int stream = 2000 + ThreadLocalRandom.current().nextInt(1000) * 16;
      for (int r = 0; r < ranks; r++) {
        ts[r] =
            AeronTransport.bind(
                new AeronTransport.Context()
                    .kind(kind == Kind.IPC ? AeronTransport.Kind.IPC : AeronTransport.Kind.UDP)
                    .aeronDir(driver.aeronDirectoryName())
                    .rank(r)
                    .ranks(ranks)
                    .jobId(TEST_JOB_ID)
                    .epoch(TEST_EPOCH)
                    .streamId(stream)
                    .termLength(1 << 20));
      }
      final String[] endpoints = new String[ranks];
      for (int r = 0; r < ranks; r++) {
        endpoints[r] = ts[r].localEndpoint();
      }
      final List<Future<?>> fs = new ArrayList<>();
      for (int r = 0; r < ranks; r++) {
        final AeronTransport t = ts[r];
        fs.add(pool.submit(() -> t.connect(endpoints, TimeUnit.SECONDS.toNanos(30))));
      }
      for (final Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
      return new RankGroup(kind, ranks, ts, driver, pool, timeoutNs);
    } catch (final Exception e) {
      for (final AeronTransport t : ts) {
        CloseHelper.quietClose(t);
      }
      driver.close();
      pool.shutdownNow();
      throw e;
    }
  }

  public Kind kind() {
    return kind;
  }

  public int ranks() {
    return ranks;
  }

  public Communicator comm(final int rank) {
    return comms[rank];
  }

  public Transport transport(final int rank) {
    return transports[rank];
  }

  /**
   * A second communicator over {@code rank}'s transport that counts more ranks on this host than it
   * has cores, so collectives take their oversubscribed paths (doorbell, All-Scan's K and zero
   * fill); the caller closes it.
   */
  public Communicator oversubscribedComm(final int rank) {
    return new Communicator(
        transports[rank],
        new CollectiveContext()
            .jobId(TEST_JOB_ID)
            .epoch(TEST_EPOCH)
            .localRanks(Runtime.getRuntime().availableProcessors() + 1));
  }

  /**
   * Runs {@code task} on every rank at once; rethrows the first failure with the rest suppressed.
   */
  public <T> List<T> run(final RankTask<T> task) throws Exception {
    return run(task, 120);
  }

  public <T> List<T> run(final RankTask<T> task, final long waitSeconds) throws Exception {
    final List<Future<T>> fs = new ArrayList<>();
    for (int r = 0; r < ranks; r++) {
      final int rank = r;
      fs.add(pool.submit(() -> task.run(rank, comms[rank])));
    }
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
    final List<T> out = new ArrayList<>();
    Exception first = null;
    for (final Future<T> f : fs) {
      try {
        out.add(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      } catch (final ExecutionException e) {
        final Exception cause = e.getCause() instanceof Exception ex ? ex : e;
        if (first == null) {
          first = cause;
        } else {
          first.addSuppressed(cause);
        }
        out.add(null);
      } catch (final TimeoutException e) {
        f.cancel(true);
        if (first == null) {
          first = e;
        }
        out.add(null);
      }
    }
    if (first != null) {
      throw first;
    }
    return out;
  }

  @Override
  public void close() {
    for (final Communicator c : comms) {
      CloseHelper.quietClose(c);
    }
    for (final Transport t : transports) {
      CloseHelper.quietClose(t);
    }
    pool.shutdownNow();
    if (driver != null) {
      driver.close();
    }
  }
}
