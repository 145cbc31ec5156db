package io.seqpar.collectives.transport;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Starts and stops an Aeron media driver inside this process, configured for shared, small hosts:
 * one driver thread ({@link ThreadingMode#SHARED}) with a backoff idle strategy that parks (never a
 * busy-spin, so several ranks can share two cores), a unique directory under {@code /dev/shm}
 * deleted on start and shutdown, and liveness timeouts lowered from Aeron's 10 s so a killed peer
 * is noticed in a few seconds (the collective's own deadline is the backstop).
 */
public final class EmbeddedDriver implements AutoCloseable {
  /** Image liveness and publication connection timeout: how soon a silent peer counts as gone. */
  public static final long PEER_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(3);

  /** Client liveness: how soon the driver reaps a killed client's publications. */
  public static final long CLIENT_LIVENESS_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(4);

  private final MediaDriver driver;

  private EmbeddedDriver(final MediaDriver driver) {
    this.driver = driver;
  }

  /** The idle strategy used for the driver thread and, by default, for collectives: parks. */
  public static IdleStrategy parkingIdleStrategy() {
    return new BackoffIdleStrategy(
        1, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
  }

  /** A fresh unique directory name under /dev/shm (or java.io.tmpdir where that is missing). */
  public static String uniqueDirName(final String prefix) {
    final String base =
        new java.io.File("/dev/shm").isDirectory()
            ? "/dev/shm"
            : System.getProperty("java.io.tmpdir");
    return base + "/" + prefix + "-" + UUID.randomUUID();
  }

  /** Launches a driver in {@code aeronDir} (created, and deleted on close). */
  public static EmbeddedDriver launch(final String aeronDir) {
    final MediaDriver.Context ctx =
        new MediaDriver.Context()
            .aeronDirectoryName(aeronDir)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(parkingIdleStrategy())
            .imageLivenessTimeoutNs(PEER_TIMEOUT_NS)
            .publicationConnectionTimeoutNs(PEER_TIMEOUT_NS)
            .clientLivenessTimeoutNs(CLIENT_LIVENESS_TIMEOUT_NS)
            .publicationUnblockTimeoutNs(CLIENT_LIVENESS_TIMEOUT_NS + TimeUnit.SECONDS.toNanos(1))
            .timerIntervalNs(TimeUnit.MILLISECONDS.toNanos(100))
            .publicationLingerTimeoutNs(TimeUnit.MILLISECONDS.toNanos(500))
            .termBufferSparseFile(true)
            .warnIfDirectoryExists(false);
    return new EmbeddedDriver(MediaDriver.launch(ctx));
  }

  /** Launches a driver in a fresh unique directory. */
  public static EmbeddedDriver launchUnique(final String prefix) {
    return launch(uniqueDirName(prefix));
  }

  public String aeronDirectoryName() {
    return driver.aeronDirectoryName();
  }

  @Override
  public void close() {
    driver.close();
  }
}
