package io.seqpar.collectives.transport;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import io.seqpar.SeqparException;
import io.seqpar.collectives.exceptions.CollectiveTimeoutException;
import io.seqpar.collectives.exceptions.PeerLostException;
import java.util.concurrent.TimeUnit;
import org.agrona.BitUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

/**
 * {@link Transport} over Aeron, IPC (all ranks are clients of one media driver directory) or UDP
 * (each process runs its own driver; every rank binds one receive endpoint, port 0 by default, and
 * reports the bound address through {@link #localEndpoint()} so a coordinator can publish the peer
 * table passed to {@link #connect}).
 *
 * <p>Layout: rank {@code d} has one subscription on stream {@code streamId + d}; rank {@code s}
 * sends to {@code d} on one {@link ExclusivePublication} with the fixed session id {@code
 * sessionBase(jobId, epoch) + s}, so the receiver polls each source's {@link Image} on its own
 * (which is what lets it leave frames of a later collective in place) and frames of another job or
 * epoch land in an image nobody reads.
 *
 * <p>Frames are at most {@code mtu − 32} bytes (Aeron's {@code maxPayloadLength}), so each is a
 * single Aeron fragment, written with {@code tryClaim} (zero copy) and read straight into the
 * destination — no {@code FragmentAssembler}, no copy into a staging buffer. Aeron's own limit,
 * {@code maxMessageLength = min(termLength / 8, 16 MiB)} (an offer above it throws), is never
 * approached because frames are ≤ 64 KiB and the term is ≥ 1 MiB.
 *
 * <p><b>Term sizing.</b> The term length bounds the bytes in flight per link (the publication
 * window is termLength / 2 for IPC; UDP is also bounded by the receiver window), so a link can
 * carry about termLength / 2 before back-pressure. Pick {@code termLength = max(1 MiB, nextPow2(2 ×
 * bytes you want in flight))}, at most 1 GiB. Each publication maps 3 × termLength (+ a 4 KiB
 * trailer) in the driver directory, and each UDP receiver image another 3 × termLength, so {@code
 * /dev/shm} needs
 *
 * <ul>
 *   <li>IPC, one driver for all P ranks: {@code P·(P−1)·3·termLength} (P = 8, 4 MiB terms: 672
 *       MiB);
 *   <li>UDP, per process: {@code 2·(P−1)·3·termLength} (publications plus images).
 * </ul>
 *
 * IPC clients pre-touch the logs they map ({@code preTouchMappedMemory}), so these bytes are
 * committed at connect and no page fault lands inside a collective (a first pass over a fresh 48
 * MiB log cost a minor fault per 4 KiB page on both ends); the driver refuses a publication at
 * connect when {@code /dev/shm} is too small (its storage check). UDP clients do not: pre-touching
 * also commits the whole CnC file (46 MiB with Aeron's defaults), which a pod's {@code /dev/shm}
 * sized for the logs alone cannot hold — the touch then dies with SIGBUS.
 */
public final class AeronTransport implements Transport {
  /** IPC or UDP. */
  public enum Kind {
    IPC,
    UDP
  }

  /** Set to {@code off} to make IPC ranks park on a timer instead of sleeping on a doorbell. */
  public static final String DOORBELL_ENV = "SEQPAR_DOORBELL";

  /**
   * Set to {@code off} to send every IPC message as frames, never as a descriptor the receiver
   * copies from the sender's memory ({@link CrossMemory}).
   */
  public static final String SINGLE_COPY_ENV = "SEQPAR_SINGLE_COPY";

  /** Largest MTU Aeron accepts (not 65 536). */
  public static final int MAX_MTU = 65504;

  /** The term length of {@link Context} unless set: 4 MiB, a 2 MiB IPC window per link. */
  public static final int DEFAULT_TERM_LENGTH = 4 << 20;

  /** The largest term {@link #termLengthFor} picks: 16 MiB (48 MiB of log per publication). */
  public static final int MAX_AUTO_TERM_LENGTH = 16 << 20;

  /**
   * A term length whose IPC window (half a term) holds two whole messages of {@code messageBytes}:
   * {@code clamp(nextPow2(4 × messageBytes), DEFAULT_TERM_LENGTH, MAX_AUTO_TERM_LENGTH)}. The
   * window limit moves only when the media driver's conductor runs, and on a busy host it can miss
   * an iteration; with room for two messages a sender is not held up by one late update. Measured
   * (P = 2, All-Scan, IPC, 2 cores): 1 MiB per rank with a 4 MiB term alternated 0.25 and 2–3 ms
   * per call (median 0.55–0.77 ms), with a 16 MiB term 0.22–0.25 ms median.
   */
  public static int termLengthFor(final long messageBytes) {
    final long want =
        BitUtil.findNextPositivePowerOfTwo(Math.max(1L, Math.min(1L << 30, 4 * messageBytes)));
    return (int) Math.max(DEFAULT_TERM_LENGTH, Math.min(MAX_AUTO_TERM_LENGTH, want));
  }

  private static final int UNRESOLVED = 0;

  private final Context ctx;
  private final Aeron aeron;
  private final Subscription subscription;
  private final ExclusivePublication[] publications;
  private final Image[] images;
  private final boolean[] imageSeen;
  private final boolean[] connectedOnce;
  private final BufferClaim claim = new BufferClaim();
  private final Adapter adapter = new Adapter();
  private int maxFrameLength;
  private Doorbell doorbell;
  private final java.lang.foreign.Arena groupArena = java.lang.foreign.Arena.ofShared();
  private final java.util.List<java.nio.file.Path> groupFiles = new java.util.ArrayList<>();
  private RendezvousBoard board;
  private SharedWindows windows;
  private boolean closed;

  private AeronTransport(final Context ctx) {
    this.ctx = ctx;
    this.publications = new ExclusivePublication[ctx.ranks];
    this.images = new Image[ctx.ranks];
    this.imageSeen = new boolean[ctx.ranks];
    this.connectedOnce = new boolean[ctx.ranks];
    this.aeron =
        Aeron.connect(
            new Aeron.Context()
                .aeronDirectoryName(ctx.aeronDir)
                // IPC only: touching commits every mapped page (the CnC file too, 46 MiB), which a
                // pod's /dev/shm sized by ShmSizing for sparse UDP logs cannot hold (SIGBUS).
                .preTouchMappedMemory(ctx.kind == Kind.IPC)
                .errorHandler(t -> {})
                .subscriberErrorHandler(t -> {}));
    try {
      this.subscription = aeron.addSubscription(subscriptionChannel(), ctx.streamId + ctx.rank);
    } catch (final RuntimeException e) {
      aeron.close();
      throw e;
    }
  }

  /**
   * Step 1: connects to the driver in {@code ctx.aeronDir()} and opens this rank's receive side.
   * For UDP, {@link #localEndpoint()} then holds the bound address.
   */
  public static AeronTransport bind(final Context ctx) {
    ctx.conclude();
    final AeronTransport t = new AeronTransport(ctx);
    if (ctx.kind == Kind.UDP) {
      t.awaitResolvedEndpoint();
    }
    return t;
  }

  /**
   * Sets the job and epoch this transport's session ids derive from, for processes that bind (to
   * learn their endpoint) before the coordinator told them the job; only before {@link #connect}.
   */
  public AeronTransport fence(final long jobId, final long epoch) {
    for (final ExclusivePublication p : publications) {
      if (p != null) {
        throw new IllegalStateException("fence: rank=" + ctx.rank + " is already connected");
      }
    }
    ctx.jobId(jobId).epoch(epoch);
    return this;
  }

  /** The address peers send to: "host:port" for UDP (port resolved), "ipc" for IPC. */
  public String localEndpoint() {
    return ctx.kind == Kind.IPC ? "ipc" : subscription.resolvedEndpoint();
  }

  /**
   * Step 2: opens a publication to every peer ({@code endpoints[rank]} for UDP; ignored for IPC)
   * and waits until every link is connected both ways.
   *
   * @throws CollectiveTimeoutException naming the ranks not connected after the timeout
   */
  public AeronTransport connect(final String[] endpoints, final long timeoutNs) {
    if (ctx.kind == Kind.UDP && (endpoints == null || endpoints.length != ctx.ranks)) {
      throw new IllegalArgumentException(
          "UDP connect needs one endpoint per rank ("
              + ctx.ranks
              + "), got "
              + (endpoints == null ? "null" : endpoints.length));
    }
    int maxPayload = Integer.MAX_VALUE;
    for (int d = 0; d < ctx.ranks; d++) {
      if (d == ctx.rank) {
        continue;
      }
      publications[d] =
          aeron.addExclusivePublication(
              publicationChannel(endpoints == null ? null : endpoints[d]), ctx.streamId + d);
      maxPayload = Math.min(maxPayload, publications[d].maxPayloadLength());
    }
    maxFrameLength = maxPayload == Integer.MAX_VALUE ? ctx.mtu - 32 : maxPayload;
    if (ctx.kind == Kind.IPC && !"off".equals(System.getenv(DOORBELL_ENV))) {
      doorbell = openDoorbell();
    }
    if (ctx.kind == Kind.IPC
        && CrossMemory.available()
        && ctx.ranks <= RendezvousBoard.MAX_RANKS
        && !"off".equals(System.getenv(SINGLE_COPY_ENV))) {
      board = openBoard();
      windows =
          SharedWindows.files(
              java.nio.file.Path.of(ctx.aeronDir), sharedFileName("window"), ctx.rank, ctx.ranks);
    }
    awaitConnected(timeoutNs);
    return this;
  }

  /**
   * {@code seqpar-<kind>-<job>-<epoch>-<stream>}: a file the group's ranks share in the driver dir.
   */
  private String sharedFileName(final String kind) {
    return "seqpar-"
        + kind
        + "-"
        + Long.toHexString(ctx.jobId)
        + "-"
        + ctx.epoch
        + "-"
        + ctx.streamId;
  }

  /** The doorbell file of this job, epoch and stream in the shared driver directory. */
  private Doorbell openDoorbell() {
    try {
      return Doorbell.open(
              java.nio.file.Path.of(ctx.aeronDir), sharedFileName("doorbell"), ctx.ranks)
          .orElse(null);
    } catch (final java.io.IOException e) {
      throw new SeqparException(
          "connect: rank=" + ctx.rank + " cannot map the doorbell in " + ctx.aeronDir, e);
    }
  }

  @Override
  public boolean sharesMemory() {
    return ctx.kind == Kind.IPC;
  }

  /**
   * IPC only: a file {@code seqpar-<name>-<job>-<epoch>-<stream>} in the shared driver directory,
   * mapped until close and then deleted (a peer that still maps it keeps its mapping). Null when
   * the directory lacks {@code bytes} of free space: a mapping past a full {@code /dev/shm} would
   * kill the process with SIGBUS at first touch, not fail here.
   */
  @Override
  public java.lang.foreign.MemorySegment groupMemory(final String name, final long bytes) {
    if (ctx.kind != Kind.IPC || closed) {
      return null;
    }
    final java.nio.file.Path dir = java.nio.file.Path.of(ctx.aeronDir);
    final java.nio.file.Path file = dir.resolve(sharedFileName(name));
    try {
      if (!java.nio.file.Files.exists(file)
          && java.nio.file.Files.getFileStore(dir).getUsableSpace() < bytes) {
        return null;
      }
      final java.lang.foreign.MemorySegment mapped =
          io.seqpar.tensor.Libc.mapShared(file, bytes, groupArena);
      groupFiles.add(file);
      return mapped;
    } catch (final java.io.IOException e) {
      return null;
    }
  }

  @Override
  public Doorbell doorbell() {
    return doorbell;
  }

  /** The single-copy board of this job, epoch and stream in the shared driver directory. */
  private RendezvousBoard openBoard() {
    try {
      return RendezvousBoard.map(
          java.nio.file.Path.of(ctx.aeronDir), sharedFileName("rendezvous"), ctx.ranks);
    } catch (final java.io.IOException e) {
      throw new SeqparException(
          "connect: rank=" + ctx.rank + " cannot map the rendezvous board in " + ctx.aeronDir, e);
    }
  }

  @Override
  public RendezvousBoard rendezvousBoard() {
    return board;
  }

  @Override
  public SharedWindows sharedWindows() {
    return windows;
  }

  private void awaitConnected(final long timeoutNs) {
    final IdleStrategy idle = new SleepingMillisIdleStrategy(1);
    final long start = System.nanoTime();
    while (true) {
      boolean all = true;
      for (int p = 0; p < ctx.ranks; p++) {
        if (p != ctx.rank && (!publications[p].isConnected() || imageFor(p) == null)) {
          all = false;
          break;
        }
      }
      if (all) {
        for (int p = 0; p < ctx.ranks; p++) {
          connectedOnce[p] = p != ctx.rank;
        }
        return;
      }
      final boolean interrupted = Thread.currentThread().isInterrupted();
      if (interrupted || System.nanoTime() - start - timeoutNs > 0) {
        final StringBuilder missing = new StringBuilder();
        for (int p = 0; p < ctx.ranks; p++) {
          if (p != ctx.rank && (!publications[p].isConnected() || imageFor(p) == null)) {
            missing.append(missing.length() == 0 ? "" : ",").append(p);
          }
        }
        throw new CollectiveTimeoutException(
            "connect: rank="
                + ctx.rank
                + (interrupted ? " interrupted after " : " waited ")
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)
                + " ms for rank(s) "
                + missing
                + " ("
                + ctx.kind
                + ", epoch="
                + ctx.epoch
                + ")");
      }
      idle.idle();
    }
  }

  private void awaitResolvedEndpoint() {
    final IdleStrategy idle = new SleepingMillisIdleStrategy(1);
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (subscription.resolvedEndpoint() == null) {
      if (System.nanoTime() - deadline > 0) {
        throw new SeqparException("udp bind: rank=" + ctx.rank + " endpoint not resolved in 10 s");
      }
      idle.idle();
    }
  }

  private String subscriptionChannel() {
    if (ctx.kind == Kind.IPC) {
      return "aeron:ipc";
    }
    return "aeron:udp?endpoint="
        + ctx.bindHost
        + ":"
        + ctx.bindPort
        + "|rcv-wnd="
        + ctx.receiverWindow
        + "|so-rcvbuf="
        + ctx.receiverWindow;
  }

  private String publicationChannel(final String endpoint) {
    final String params =
        "term-length=" + ctx.termLength + "|mtu=" + ctx.mtu + "|session-id=" + sessionId(ctx.rank);
    return ctx.kind == Kind.IPC
        ? "aeron:ipc?" + params
        : "aeron:udp?endpoint=" + endpoint + "|" + params;
  }

  /** The session id rank {@code src} publishes under for this job and epoch. */
  int sessionId(final int src) {
    long h = ctx.jobId * 0x9E3779B97F4A7C15L + ctx.epoch;
    h ^= h >>> 29;
    h *= 0xBF58476D1CE4E5B9L;
    h ^= h >>> 32;
    // Keep clear of 0 and leave room for + src without overflow.
    return (int) ((h & 0x3FFF_0000L) | 0x4000_0000L) + src;
  }

  private Image imageFor(final int src) {
    Image image = images[src];
    if (image == null || image.isClosed()) {
      image = subscription.imageBySessionId(sessionId(src));
      images[src] = image;
      if (image != null) {
        imageSeen[src] = true;
      }
    }
    return image;
  }

  @Override
  public int rank() {
    return ctx.rank;
  }

  @Override
  public int ranks() {
    return ctx.ranks;
  }

  @Override
  public int maxFrameLength() {
    return maxFrameLength;
  }

  @Override
  public boolean offer(
      final int dstRank,
      final DirectBuffer header,
      final int headerLength,
      final DirectBuffer payload,
      final int payloadOffset,
      final int payloadLength) {
    final ExclusivePublication pub = publications[dstRank];
    final long result = pub.tryClaim(headerLength + payloadLength, claim);
    if (result > 0) {
      final int offset = claim.offset();
      claim.buffer().putBytes(offset, header, 0, headerLength);
      if (payloadLength > 0) {
        claim.buffer().putBytes(offset + headerLength, payload, payloadOffset, payloadLength);
      }
      claim.commit();
      return true;
    }
    if (result == Publication.NOT_CONNECTED) {
      if (connectedOnce[dstRank]) {
        throw lost("offer", dstRank, "publication no longer connected");
      }
      return false;
    }
    if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED) {
      throw lost("offer", dstRank, Publication.errorString(result));
    }
    return false; // BACK_PRESSURED or ADMIN_ACTION: the caller polls and retries.
  }

  private PeerLostException lost(final String what, final int peer, final String why) {
    return new PeerLostException(
        "aeron "
            + what
            + ": rank="
            + ctx.rank
            + " lost peer rank="
            + peer
            + ": "
            + why
            + " (epoch="
            + ctx.epoch
            + ")");
  }

  @Override
  public int poll(final int srcRank, final FrameHandler handler, final int limit) {
    final Image image = imageFor(srcRank);
    if (image == null) {
      return 0;
    }
    adapter.handler = handler;
    adapter.consumed = 0;
    image.controlledPoll(adapter, limit);
    adapter.handler = null;
    return adapter.consumed;
  }

  @Override
  public boolean isPeerLost(final int peer) {
    if (peer == ctx.rank || closed) {
      return closed;
    }
    if (imageSeen[peer]) {
      final Image image = imageFor(peer);
      if (image == null || image.isClosed()) {
        return true;
      }
    }
    final ExclusivePublication pub = publications[peer];
    return pub != null && connectedOnce[peer] && (pub.isClosed() || !pub.isConnected());
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      for (final ExclusivePublication p : publications) {
        CloseHelper.quietClose(p);
      }
      CloseHelper.quietClose(subscription);
      CloseHelper.quietClose(aeron);
      CloseHelper.quietClose(doorbell);
      CloseHelper.quietClose(windows);
      CloseHelper.quietClose(board);
      groupArena.close();
      for (final java.nio.file.Path f : groupFiles) {
        try {
          java.nio.file.Files.deleteIfExists(f);
        } catch (final java.io.IOException e) {
          // best effort: the driver directory goes when the driver stops
        }
      }
    }
  }

  /** Adapts Aeron's controlled poll to a {@link FrameHandler}; one instance, no capture. */
  private static final class Adapter implements ControlledFragmentHandler {
    FrameHandler handler;
    int consumed;

    @Override
    public Action onFragment(
        final DirectBuffer buffer, final int offset, final int length, final Header header) {
      if (handler.onFrame(buffer, offset, length) == FrameHandler.ABORT) {
        return Action.ABORT;
      }
      consumed++;
      return Action.CONTINUE;
    }
  }

  /** Configuration of one rank's Aeron endpoint; {@link #conclude()} validates it. */
  public static final class Context {
    private Kind kind = Kind.IPC;
    private String aeronDir;
    private int rank = -1;
    private int ranks = -1;
    private long jobId;
    private long epoch;
    private int streamId = 1001;
    private int termLength = DEFAULT_TERM_LENGTH;
    private int mtu = -1;
    private String bindHost = "127.0.0.1";
    private int bindPort = UNRESOLVED;
    private int receiverWindow = 2 * 1024 * 1024;

    public Context kind(final Kind v) {
      kind = v;
      return this;
    }

    public Context aeronDir(final String v) {
      aeronDir = v;
      return this;
    }

    public Context rank(final int v) {
      rank = v;
      return this;
    }

    public Context ranks(final int v) {
      ranks = v;
      return this;
    }

    public Context jobId(final long v) {
      jobId = v;
      return this;
    }

    public Context epoch(final long v) {
      epoch = v;
      return this;
    }

    public Context streamId(final int v) {
      streamId = v;
      return this;
    }

    /** Term length in bytes: a power of two in [1 MiB, 1 GiB]. See the class javadoc. */
    public Context termLength(final int v) {
      termLength = v;
      return this;
    }

    /** MTU in bytes, ≤ 65504; default 65504 for IPC and 8192 for UDP. */
    public Context mtu(final int v) {
      mtu = v;
      return this;
    }

    public Context bindHost(final String v) {
      bindHost = v;
      return this;
    }

    /** UDP receive port; 0 (default) lets the OS pick, see {@link #localEndpoint()}. */
    public Context bindPort(final int v) {
      bindPort = v;
      return this;
    }

    /** UDP receiver window in bytes (Aeron's default 128 KiB is small for multi-MB states). */
    public Context receiverWindow(final int v) {
      receiverWindow = v;
      return this;
    }

    /** Fills defaults and checks every field, naming the field, value and allowed range. */
    public Context conclude() {
      if (aeronDir == null) {
        throw new IllegalArgumentException("aeronDir must be set");
      }
      if (ranks < 1) {
        throw new IllegalArgumentException("ranks must be >= 1, got " + ranks);
      }
      if (rank < 0 || rank >= ranks) {
        throw new IllegalArgumentException("rank must be in [0, " + ranks + "), got " + rank);
      }
      if (!BitUtil.isPowerOfTwo(termLength) || termLength < (1 << 20) || termLength > (1 << 30)) {
        throw new IllegalArgumentException(
            "termLength must be a power of two in [1 MiB, 1 GiB], got " + termLength);
      }
      if (mtu == -1) {
        mtu = kind == Kind.IPC ? MAX_MTU : 8192;
      }
      if (mtu < 1024 || mtu > MAX_MTU || mtu % 32 != 0) {
        throw new IllegalArgumentException(
            "mtu must be a multiple of 32 in [1024, " + MAX_MTU + "], got " + mtu);
      }
      if (bindPort < 0 || bindPort > 65535) {
        throw new IllegalArgumentException("bindPort must be in [0, 65535], got " + bindPort);
      }
      return this;
    }

    public Kind kind() {
      return kind;
    }

    public int rank() {
      return rank;
    }

    public int ranks() {
      return ranks;
    }

    public long epoch() {
      return epoch;
    }
  }
}
