package io.seqpar.collectives.transport;

import io.aeron.CncFileDescriptor;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.io.File;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Starts and stops an Aeron media driver inside this process, configured for shared, small hosts:
 * one driver thread ({@link ThreadingMode#SHARED}) with a backoff idle strategy that parks (never a
 * busy-spin, so several ranks can share two cores), a unique directory under {@code /dev/shm}
 * deleted on start and shutdown, and liveness timeouts lowered from Aeron's 10 s so a killed peer
 * is noticed in a few seconds (the collective's own deadline is the backstop).
 *
 * <p>The directory holds the term buffers of every link (hundreds of MB at P = 8), so it must not
 * outlive the process: {@link #close()} deletes it, a shutdown hook does the same when the process
 * ends by SIGTERM or Ctrl-C (which run hooks, not {@code finally} blocks), and each launch first
 * removes what killed drivers (SIGKILL runs nothing) left beside it ({@link
 * #removeStaleDirectories}).
 */
public final class EmbeddedDriver implements AutoCloseable {
  /** Image liveness and publication connection timeout: how soon a silent peer counts as gone. */
  public static final long PEER_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(3);

  /** Client liveness: how soon the driver reaps a killed client's publications. */
  public static final long CLIENT_LIVENESS_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(4);

  /** Only directories unchanged for this long are judged by {@link #removeStaleDirectories}. */
  public static final long STALE_MIN_AGE_MS = TimeUnit.SECONDS.toMillis(60);

  /**
   * A driver whose heartbeat is older than this is dead. Ours beat every 100 ms ({@code
   * timerIntervalNs}); 30 s leaves room for a starved or briefly stopped process.
   */
  public static final long STALE_DRIVER_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(30);

  /** Every directory this project's drivers use starts with this. */
  static final String OWN_PREFIX = "seqpar-";

  private final MediaDriver driver;
  private final Thread onExit;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EmbeddedDriver(final MediaDriver driver) {
    this.driver = driver;
    // A bench launcher ended by SIGTERM left its 727 MB directory (P = 8) in /dev/shm.
    this.onExit = new Thread(this::shutDown, "seqpar-driver-exit");
    Runtime.getRuntime().addShutdownHook(onExit);
  }

  /** Backoff parameters of {@link #parkingIdleStrategy()}: spins, yields, min and max park (ns). */
  public static final long[] IDLE_DEFAULTS = {10, 1000, 1_000, 100_000};

  /** Backoff parameters when ranks outnumber cores: no spins, 10 yields, park 20 µs–1 ms. */
  private static final long[] OVERSUBSCRIBED_IDLE = {0, 10, 20_000, 1_000_000};

  /**
   * Backoff parameters of the driver thread when the ranks it serves outnumber the cores: 10 spins,
   * 100 yields, then park 100 µs growing to 1 ms ({@link #driverIdleStrategy}).
   */
  private static final long[] OVERSUBSCRIBED_DRIVER_IDLE = {10, 100, 100_000, 1_000_000};

  /**
   * The idle strategy of the driver thread and, by default, of collectives: 10 spins, then up to
   * 1000 {@code Thread.yield()}s (each hands the core to any other runnable rank, which is what
   * matters when N ranks share 2 cores), then parks from 1 µs growing to 100 µs — never a
   * busy-spin. Override for experiments with the environment variable {@code
   * SEQPAR_IDLE=spins,yields,minParkNs,maxParkNs} (inherited by rank processes).
   */
  public static IdleStrategy parkingIdleStrategy() {
    final long[] p = parkingParameters();
    return new BackoffIdleStrategy(p[0], p[1], p[2], p[3]);
  }

  /** {@link #IDLE_DEFAULTS}, or what {@code SEQPAR_IDLE} says. */
  private static long[] parkingParameters() {
    final long[] p = IDLE_DEFAULTS.clone();
    final String env = System.getenv("SEQPAR_IDLE");
    if (env != null && !env.isBlank()) {
      final String[] f = env.split(",");
      for (int i = 0; i < Math.min(4, f.length); i++) {
        p[i] = Long.parseLong(f[i].trim());
      }
    }
    return p;
  }

  /**
   * How a rank of a group of {@code localRanks} processes on this host waits for its peers:
   *
   * <ul>
   *   <li>{@code SEQPAR_IDLE} set: exactly that ({@link #parkingIdleStrategy()});
   *   <li>ranks ≤ cores: {@link #parkingIdleStrategy()} (10 spins, 1000 yields, park 1–100 µs).
   *       Spinning longer is slower, not faster: for Aeron IPC the media driver's conductor (in the
   *       launcher's process) advances each publication's limit, and ranks spinning on every core
   *       starve it (measured, P = 2 chain, 4 KiB: 109 µs per pass with 1000 spins vs 22 µs);
   *   <li>ranks &gt; cores: never spin; 10 yields, then park 20 µs growing to 1 ms ({@link
   *       #OVERSUBSCRIBED_IDLE}), so a waiting rank hands its core to the ranks still computing —
   *       whose progress is what it waits for. Measured (seqpar bench sp, P = 4 on 2 cores):
   *       All-Scan exposed share 9.2% → 2.6%. Waiting by yielding (1000 yields, then parks of 1–20
   *       µs) was tried and rejected: on this kernel's EEVDF scheduler a rank that has yielded a
   *       lot loses eligibility, and once its data arrives it waits out other ranks' slices (4 ms
   *       steps per hop: P = 8 All-Scan at 256 KiB took 0.5 ms in some runs and 16–23 ms in
   *       others). Short parks alone (10–50 µs) were no better overall (docs/PERFORMANCE.md,
   *       "Collectives").
   * </ul>
   *
   * Over Aeron IPC with ranks &gt; cores the park phase is replaced: once a rank has yielded, it
   * sleeps on its {@link Doorbell} (a futex its peers ring after sending it frames) for at most 1
   * ms, so it wakes when data arrives rather than when a timer fires ({@code SEQPAR_DOORBELL=off}
   * restores parking). With a core per rank it is not used: there, sleeping lets the virtual CPU
   * halt, and waking it cost up to a host tick (4 ms) per message on this VM.
   */
  public static IdleStrategy idleStrategyFor(final int localRanks) {
    final long[] p = idleParameters(localRanks);
    return new BackoffIdleStrategy(p[0], p[1], p[2], p[3]);
  }

  /**
   * How many idle rounds {@link #idleStrategyFor} spins and yields before it would park: where a
   * rank with a {@link Doorbell} goes to sleep on it instead.
   */
  public static int roundsBeforePark(final int localRanks) {
    final long[] p = idleParameters(localRanks);
    return (int) Math.min(Integer.MAX_VALUE, p[0] + p[1]);
  }

  /**
   * The idle strategy of a driver thread serving {@code localRanks} rank processes of this host:
   * {@link #parkingIdleStrategy()} (what {@code SEQPAR_IDLE} says, if set) unless the ranks
   * outnumber the cores; then 10 spins, 100 yields, and parks of 100 µs growing to 1 ms. Over IPC
   * the ranks write and read each other's log buffers directly, and the driver only advances
   * publication limits and watches liveness, so under traffic its default 1000 yields kept it
   * runnable beside ranks that had work, one more thread to share 2 vCPUs with. Measured over IPC
   * on 2 cores against the default, alternating builds, medians of 100 iterations
   * (docs/PERFORMANCE.md, "A quieter driver where ranks outnumber cores"): All-Scan P = 4, 256 KiB
   * 100–132 µs in 5 of 5 runs against 68–252 (above 150 in 4 of 5), 1 MiB 257–315 against 212–395;
   * P = 8, 256 KiB 301 / 420 against 486 / 506, 1 MiB 711 / 729 against 876 / 1004.
   */
  public static IdleStrategy driverIdleStrategy(final int localRanks) {
    final String env = System.getenv("SEQPAR_IDLE");
    if ((env != null && !env.isBlank()) || !oversubscribed(localRanks)) {
      return parkingIdleStrategy();
    }
    final long[] p = OVERSUBSCRIBED_DRIVER_IDLE;
    return new BackoffIdleStrategy(p[0], p[1], p[2], p[3]);
  }

  /** Whether {@code localRanks} ranks on this host outnumber its cores. */
  public static boolean oversubscribed(final int localRanks) {
    return localRanks > CoreBinding.hostCores();
  }

  private static long[] idleParameters(final int localRanks) {
    final String env = System.getenv("SEQPAR_IDLE");
    if ((env != null && !env.isBlank()) || !oversubscribed(localRanks)) {
      return parkingParameters();
    }
    return OVERSUBSCRIBED_IDLE.clone();
  }

  /** How {@link #idleStrategyFor(int)} is configured for {@code localRanks}, for headers. */
  public static String idleDescription(final int localRanks) {
    return describe(idleStrategyFor(localRanks));
  }

  /** How {@link #driverIdleStrategy(int)} is configured for {@code localRanks}, for headers. */
  public static String driverIdleDescription(final int localRanks) {
    return describe(driverIdleStrategy(localRanks));
  }

  private static String describe(final IdleStrategy s) {
    return s.toString().replace("BackoffIdleStrategy", "Backoff");
  }

  /** A fresh unique directory name under /dev/shm (or java.io.tmpdir where that is missing). */
  public static String uniqueDirName(final String prefix) {
    final String base =
        new java.io.File("/dev/shm").isDirectory()
            ? "/dev/shm"
            : System.getProperty("java.io.tmpdir");
    return base + "/" + prefix + "-" + UUID.randomUUID();
  }

  /**
   * Launches a driver in {@code aeronDir} (created, and deleted on close) for one rank process of
   * this host (or for clients that do not outnumber its cores).
   */
  public static EmbeddedDriver launch(final String aeronDir) {
    return launch(aeronDir, 1);
  }

  /**
   * Launches a driver in {@code aeronDir} (created, and deleted on close) for {@code localRanks}
   * rank processes of this host, idling as {@link #driverIdleStrategy} says for them.
   */
  public static EmbeddedDriver launch(final String aeronDir, final int localRanks) {
    final File parent = new File(aeronDir).getAbsoluteFile().getParentFile();
    if (parent != null) {
      removeStaleDirectories(parent, STALE_MIN_AGE_MS, STALE_DRIVER_TIMEOUT_MS);
    }
    final MediaDriver.Context ctx =
        new MediaDriver.Context()
            .aeronDirectoryName(aeronDir)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(driverIdleStrategy(localRanks))
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

  /** Launches a driver in a fresh unique directory for one rank process of this host. */
  public static EmbeddedDriver launchUnique(final String prefix) {
    return launch(uniqueDirName(prefix));
  }

  /** Launches a driver in a fresh unique directory for {@code localRanks} rank processes. */
  public static EmbeddedDriver launchUnique(final String prefix, final int localRanks) {
    return launch(uniqueDirName(prefix), localRanks);
  }

  public String aeronDirectoryName() {
    return driver.aeronDirectoryName();
  }

  /**
   * Deletes the directories under {@code base} that drivers of this project left when their process
   * was killed: named {@code seqpar-…}, unchanged for {@code minAgeMs} (a driver still starting is
   * never judged), and holding a {@code cnc.dat} whose driver has not beaten its heartbeat for
   * {@code driverTimeoutMs}. A directory without a {@code cnc.dat}, or one that cannot be read, is
   * left alone. Safe to race with other processes doing the same.
   *
   * @return how many directories were removed
   */
  public static int removeStaleDirectories(
      final File base, final long minAgeMs, final long driverTimeoutMs) {
    final File[] entries = base.listFiles((d, name) -> name.startsWith(OWN_PREFIX));
    if (entries == null) {
      return 0;
    }
    int removed = 0;
    final long nowMs = System.currentTimeMillis();
    for (final File dir : entries) {
      if (isDeadDriverDirectory(dir, nowMs, minAgeMs, driverTimeoutMs)) {
        IoUtil.delete(dir, true);
        removed += dir.exists() ? 0 : 1;
      }
    }
    return removed;
  }

  private static boolean isDeadDriverDirectory(
      final File dir, final long nowMs, final long minAgeMs, final long driverTimeoutMs) {
    final File cnc = new File(dir, CncFileDescriptor.CNC_FILE);
    if (!dir.isDirectory() || !cnc.isFile() || nowMs - dir.lastModified() < minAgeMs) {
      return false;
    }
    try {
      return !CommonContext.isDriverActive(dir, driverTimeoutMs, message -> {});
    } catch (final RuntimeException e) {
      return false; // half-written or unreadable: not ours to judge
    }
  }

  /** Closes the driver and deletes its directory; later calls do nothing. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(onExit);
    } catch (final IllegalStateException e) {
      // The JVM is shutting down: the hook closes the driver (or has).
    }
    shutDown();
  }

  private void shutDown() {
    if (closed.compareAndSet(false, true)) {
      driver.close();
    }
  }
}
