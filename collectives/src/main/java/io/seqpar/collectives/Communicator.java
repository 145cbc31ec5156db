package io.seqpar.collectives;

import static io.seqpar.collectives.wire.FrameHeaderFlyweight.HEADER_LENGTH;

import io.seqpar.collectives.exceptions.CollectiveTimeoutException;
import io.seqpar.collectives.exceptions.PeerLostException;
import io.seqpar.collectives.transport.CrossMemory;
import io.seqpar.collectives.transport.Doorbell;
import io.seqpar.collectives.transport.EmbeddedDriver;
import io.seqpar.collectives.transport.FrameHandler;
import io.seqpar.collectives.transport.RendezvousBoard;
import io.seqpar.collectives.transport.SharedWindows;
import io.seqpar.collectives.transport.Transport;
import io.seqpar.collectives.wire.FrameHeaderFlyweight;
import io.seqpar.tensor.LargePages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The progress engine under every collective: posted sends and receives of whole messages between
 * ranks, cut into frames of at most {@link Transport#maxFrameLength()} and reassembled in place.
 *
 * <p>Matching is MPI-like and needs no unexpected-message buffer: messages from one source are
 * received in the order the receives were posted, and a frame is identified by (collective
 * sequence, tag). A frame whose sequence is newer than the head receive from its source (a peer
 * already in the next collective) is left in the transport ({@link FrameHandler#ABORT}) until that
 * receive is posted, so memory stays bounded and back-pressure reaches the sender.
 *
 * <p>Every frame is checked before use, in this order: header length, job id (other job: dropped),
 * epoch (older: dropped; newer: rejected), source rank (in [0, P) and equal to the link's rank),
 * payload length (equals frame length − header), sequence (older than the posted receive: dropped),
 * tag, message length (equals the posted receive), and offset (the next expected byte). Each
 * outcome has a {@link CollectiveCounter}; nothing read off the wire can index out of bounds.
 *
 * <p>{@link #progress()} is a duty cycle: push what fits to every destination, then poll every
 * source with a posted receive. Because sends never block, two ranks sending to each other at once
 * cannot deadlock. No method on this path allocates. One thread drives a communicator. A poll of
 * one source stops after the first message this rank filled out of the sender's memory (single copy
 * or combine): that copy is the long part of a receive, and returning lets the collective act on it
 * (forward the block down a pipeline) before the next one is taken.
 *
 * <p>Single copy: when the transport has a {@link RendezvousBoard} (ranks of one host) a message of
 * at least {@link CollectiveContext#singleCopyMinBytes()} to a peer that proved it can read this
 * process is sent as one descriptor frame in place of its data frames, so it is matched exactly
 * like them; the receiver copies the message from the sender's buffer and acknowledges on the
 * board, and only then is the send complete ({@link SingleCopy}). Per destination, sends are
 * retired in order: {@code sendHead ≤ sendCursor ≤ sendTail}, where ops between head and cursor
 * wait for that acknowledgement and ops from the cursor on still have frames to push.
 *
 * <p>Fault notices: a wait that fails (a peer lost, or the deadline passed) first sends every other
 * peer it can still reach one small frame naming the rank to blame ({@link
 * FrameHeaderFlyweight#FAULT_BLOCK_INDEX}), then throws. A rank that reads one fails its current or
 * next wait with an error naming that rank and the reporter, and passes the notice on. Without it a
 * rank that waited only on a survivor saw the survivor vanish (it exits after failing) and blamed
 * it instead of the rank that died; with it the whole group fails at once, naming the same rank. A
 * notice is fenced like any frame (job id, epoch, source rank) and holds for the rest of the epoch:
 * the group is broken.
 */
public final class Communicator implements AutoCloseable {
  private static final int FRAMES_PER_DESTINATION = 16;
  private static final int POLL_LIMIT = 64;

  /** A send-queue entry whose op completed as frames (between sendHead and sendCursor). */
  private static final int SENT_AS_FRAMES = -1;

  /** Longest sleep on the doorbell: bounds a lost wake-up and how late a deadline is noticed. */
  static final long DOORBELL_TIMEOUT_NS = 1_000_000;

  /** Payload of a fault notice: the rank to blame (int32 LE), then the fault kind (int32 LE). */
  public static final int FAULT_NOTICE_BYTES = 8;

  /**
   * Payload of a combine descriptor: windows of X, S and log Γ and dv (int32 LE each), then the
   * byte offsets of X, S and log Γ in their windows and the token (int64 LE each).
   */
  public static final int COMBINE_DESCRIPTOR_BYTES = 48;

  /** The X and log Γ window of a combine descriptor whose X is 0: the message is S. */
  public static final int NO_WINDOW = -1;

  /** Fault kind: the blamed rank is gone (image lost, publication closed, endpoint closed). */
  public static final int FAULT_LOST = 1;

  /** Fault kind: the reporter's deadline passed while it waited on the blamed rank. */
  public static final int FAULT_TIMED_OUT = 2;

  /**
   * Offers per peer for a fault notice on back-pressure: best effort, it must not delay failing.
   */
  private static final int FAULT_OFFER_ATTEMPTS = 1_000;

  private final Transport transport;
  private final CollectiveContext ctx;
  private final int rank;
  private final int ranks;
  private final int maxPayload;
  private final IdleStrategy idle;
  private final long[] counters = new long[CollectiveCounter.values().length];
  private final Doorbell doorbell;
  private final int idleRoundsBeforeDoorbell;
  private int idleRounds;
  private final SingleCopy singleCopy;
  private final boolean[] goneWhileCopying;
  private final UnsafeBuffer descriptor = new UnsafeBuffer(new byte[COMBINE_DESCRIPTOR_BYTES]);
  private final SharedWindows windows;

  // Operation slots (struct of arrays).
  private final boolean[] inUse;
  private final boolean[] complete;
  private final boolean[] isSend;
  private final int[] peer;
  private final long[] sequence;
  private final int[] tag;
  private final int[] length;
  private final int[] done;
  private final int[] fragment;
  private final UnsafeBuffer[] buffer;
  private final long[] token;
  // Receives: the destination segment and offset. Combine sends: the operands' addresses and dv.
  private final MemorySegment[] target;
  private final long[] targetOffset;
  private final int[] combineDv;
  private final boolean[] combineX;
  private final long[] combineState;
  private final long[] combineLog;
  private int freeHint;

  // Per-peer FIFO of posted op indices, sends and receives separately.
  private final int[][] sendQueue;
  private final int[] sendHead;
  private final int[] sendCursor;
  private final int[] sendTail;
  private final int[][] recvQueue;
  private final int[] recvHead;
  private final int[] recvTail;
  private final int queueCapacity;
  private final int mask;

  private final FrameHeaderFlyweight sendHeader = FrameHeaderFlyweight.allocate();
  private final FrameHeaderFlyweight recvHeader = new FrameHeaderFlyweight();
  private final Receiver receiver = new Receiver();
  private final FrameHeaderFlyweight faultHeader = FrameHeaderFlyweight.allocate();
  private final UnsafeBuffer faultPayload = new UnsafeBuffer(new byte[FAULT_NOTICE_BYTES]);
  private boolean faultAnnounced;
  private int faultReporter = -1;
  private int faultBlamed;
  private int faultKind;
  private long nextSequence;
  private boolean closed;

  public Communicator(final Transport transport, final CollectiveContext ctx) {
    ctx.conclude();
    this.transport = transport;
    this.ctx = ctx;
    this.rank = transport.rank();
    this.ranks = transport.ranks();
    this.maxPayload = transport.maxFrameLength() - HEADER_LENGTH;
    if (maxPayload <= 0) {
      throw new IllegalArgumentException(
          "transport maxFrameLength="
              + transport.maxFrameLength()
              + " leaves no room after the "
              + HEADER_LENGTH
              + "-byte header");
    }
    this.idle = ctx.idleStrategy();
    // Only when ranks outnumber cores: with a core per rank, sleeping lets the (virtual) CPU halt,
    // and waking a halted vCPU took up to a host tick (4 ms steps per message, measured at P = 2);
    // spinning and yielding keep it awake.
    this.doorbell = ctx.oversubscribed() ? transport.doorbell() : null;
    // Sleep on the doorbell where the idle strategy would start parking: after its yields.
    this.idleRoundsBeforeDoorbell = EmbeddedDriver.roundsBeforePark(ctx.localRanks());
    final int n = ctx.maxOps();
    inUse = new boolean[n];
    complete = new boolean[n];
    isSend = new boolean[n];
    peer = new int[n];
    sequence = new long[n];
    tag = new int[n];
    length = new int[n];
    done = new int[n];
    fragment = new int[n];
    buffer = new UnsafeBuffer[n];
    token = new long[n];
    target = new MemorySegment[n];
    targetOffset = new long[n];
    combineDv = new int[n];
    combineX = new boolean[n];
    combineState = new long[n];
    combineLog = new long[n];
    for (int i = 0; i < n; i++) {
      buffer[i] = new UnsafeBuffer(0, 0);
    }
    queueCapacity = n;
    mask = n - 1;
    sendQueue = new int[ranks][];
    recvQueue = new int[ranks][];
    sendHead = new int[ranks];
    sendCursor = new int[ranks];
    sendTail = new int[ranks];
    recvHead = new int[ranks];
    recvTail = new int[ranks];
    sendHeader.jobId(ctx.jobId()).epoch(ctx.epoch()).srcRank(rank);
    faultHeader
        .jobId(ctx.jobId())
        .epoch(ctx.epoch())
        .srcRank(rank)
        .blockIndex(FrameHeaderFlyweight.FAULT_BLOCK_INDEX)
        .payloadLength(FAULT_NOTICE_BYTES)
        .messageLength(FAULT_NOTICE_BYTES);
    final RendezvousBoard board = transport.rendezvousBoard();
    this.singleCopy =
        board != null && ranks > 1 && ctx.singleCopyMinBytes() != Integer.MAX_VALUE
            ? new SingleCopy(board, rank, ranks, ctx.singleCopyMinBytes())
            : null;
    if (board != null && singleCopy == null) {
      for (int p = 0; p < ranks; p++) {
        board.readable(p, rank, RendezvousBoard.REFUSED); // single copy off here: frames to us
      }
    }
    this.goneWhileCopying = new boolean[ranks];
    this.windows = singleCopy != null ? transport.sharedWindows() : null;
  }

  public int rank() {
    return rank;
  }

  public int ranks() {
    return ranks;
  }

  public long epoch() {
    return ctx.epoch();
  }

  public long jobId() {
    return ctx.jobId();
  }

  public Transport transport() {
    return transport;
  }

  /** Default deadline of one collective, from its start. */
  public long timeoutNs() {
    return ctx.timeoutNs();
  }

  /** Whether more ranks of this group share the host than it has cores. */
  public boolean oversubscribed() {
    return ctx.oversubscribed();
  }

  /** Largest payload per frame (frame length minus the header). */
  public int maxPayload() {
    return maxPayload;
  }

  /** The cumulative value of a counter. */
  public long counter(final CollectiveCounter c) {
    return counters[c.ordinal()];
  }

  /** The sum of every drop and reject counter. */
  public long droppedOrRejected() {
    long sum = 0;
    for (final CollectiveCounter c : CollectiveCounter.values()) {
      if (c.isDropOrReject()) {
        sum += counters[c.ordinal()];
      }
    }
    return sum;
  }

  /** Claims the sequence number of the next collective; every rank calls collectives in order. */
  public long nextSequence() {
    return nextSequence++;
  }

  /** Posts a send of {@code src[offset, offset + len)} to {@code dst}; returns the op handle. */
  public int postSend(
      final long seq,
      final int tagValue,
      final int dst,
      final MemorySegment src,
      final long offset,
      final int len) {
    final int op = post(true, seq, tagValue, dst, src, offset, len);
    sendQueue(dst)[sendTail[dst]++ & mask] = op;
    return op;
  }

  /**
   * What a collective that waits on shared memory rather than on posted operations tells the wait
   * loop: whether a poll of it would make progress now (checked after announcing a doorbell sleep,
   * so a peer's ring is never missed), and whom it waits on (for loss checks and error messages).
   */
  public interface LocalWait {
    /** A rank this call waits on no matter which (any lost peer fails the call). */
    int ANY_RANK = -2;

    /** Whether the collective has work a poll would do now. */
    boolean hasLocalWork();

    /** The rank waited on, {@link #ANY_RANK}, or −1 when the wait is on posted operations. */
    int awaitedRank();

    /** What is awaited, for the timeout message (called only when failing). */
    String awaited();
  }

  /** Whether {@link #groupMemory} can work: every rank of the group maps one host's memory. */
  public boolean sharesMemory() {
    return transport.sharesMemory();
  }

  /**
   * Memory the ranks of this host share under {@code name} ({@link Transport#groupMemory}), or null
   * when the transport has none or it cannot be made. Callers agree on a name no earlier group
   * used: a group restarted by the launcher keeps job, epoch and driver directory, so a reused name
   * would hold the last attempt's state.
   */
  public MemorySegment groupMemory(final String name, final long bytes) {
    return transport.groupMemory(name, bytes);
  }

  /** Wakes every peer asleep on its doorbell (a collective in shared memory finished a phase). */
  public void ringAll() {
    if (doorbell != null) {
      for (int p = 0; p < ranks; p++) {
        if (p != rank) {
          doorbell.ring(p);
        }
      }
    }
  }

  /**
   * Off-heap memory, zeroed, that peers on this host can combine straight out of ({@link
   * #postCombineSend}) when the transport shares memory between ranks; otherwise ordinary off-heap
   * memory. Valid until the transport closes.
   */
  public MemorySegment allocateShared(final long bytes) {
    final MemorySegment shared = windows == null ? null : windows.allocate(bytes);
    return shared != null ? shared : LargePages.allocate(Arena.ofAuto(), bytes, 64);
  }

  /**
   * Posts a send whose message is {@code Γ ⊙ X + S} on the {@code len / (4·dv)} rows at {@code
   * offset} of {@code x} and {@code s} (row r's factor {@code exp(log[r])}, {@code log} read from
   * {@code logOffset}), which the receiver computes itself straight out of this rank's memory: the
   * hop then reads X and S once and writes the result once, where computing Y here and sending it
   * writes Y and copies it again. Possible only when all three lie in this rank's shared windows
   * ({@link #allocateShared}) and {@code dst} can read this rank; returns -1 otherwise, and the
   * caller computes and sends the message itself. Like a single-copy send, the op completes once
   * the receiver is done with the operands, which must not change until then. {@code x} null means
   * X = 0: the message is S itself, which the receiver copies with loads and stores ({@code log}
   * unused, may be null) instead of {@code process_vm_readv}, whose page pinning costs twice as
   * much on the windows' 4 KiB pages.
   */
  public int postCombineSend(
      final long seq,
      final int tagValue,
      final int dst,
      final MemorySegment log,
      final long logOffset,
      final MemorySegment x,
      final MemorySegment s,
      final long offset,
      final int len,
      final int dv) {
    if (windows == null
        || dv <= 0
        || len % (dv * Float.BYTES) != 0
        || dst < 0
        || dst >= ranks
        || dst == rank
        || !singleCopy.eligible(dst, len)
        || !s.isNative()
        || offset < 0
        || offset + len > s.byteSize()
        || windows.indexOf(s.address() + offset, len) < 0) {
      return -1;
    }
    if (x != null) {
      final long logBytes = (long) (len / (dv * Float.BYTES)) * Float.BYTES;
      if (log == null
          || !x.isNative()
          || !log.isNative()
          || logOffset < 0
          || offset + len > x.byteSize()
          || logOffset + logBytes > log.byteSize()
          || windows.indexOf(x.address() + offset, len) < 0
          || windows.indexOf(log.address() + logOffset, logBytes) < 0) {
        return -1;
      }
    }
    final int op = postSend(seq, tagValue, dst, x != null ? x : s, offset, len);
    combineDv[op] = dv;
    combineX[op] = x != null;
    combineState[op] = s.address() + offset;
    combineLog[op] = x != null ? log.address() + logOffset : 0;
    return op;
  }

  /** Posts a receive of {@code len} bytes from {@code src} into {@code dst[offset, ...)}. */
  public int postRecv(
      final long seq,
      final int tagValue,
      final int src,
      final MemorySegment dst,
      final long offset,
      final int len) {
    final int op = post(false, seq, tagValue, src, dst, offset, len);
    recvQueue(src)[recvTail[src]++ & mask] = op;
    return op;
  }

  private int[] sendQueue(final int p) {
    int[] q = sendQueue[p];
    if (q == null) {
      q = new int[queueCapacity]; // once per peer, at first use
      sendQueue[p] = q;
    }
    return q;
  }

  private int[] recvQueue(final int p) {
    int[] q = recvQueue[p];
    if (q == null) {
      q = new int[queueCapacity];
      recvQueue[p] = q;
    }
    return q;
  }

  private int post(
      final boolean send,
      final long seq,
      final int tagValue,
      final int p,
      final MemorySegment segment,
      final long offset,
      final int len) {
    if (closed) {
      throw new IllegalStateException("communicator closed (rank=" + rank + ")");
    }
    if (p < 0 || p >= ranks || p == rank) {
      throw new IllegalArgumentException(
          "peer must be in [0, " + ranks + ") and not self (" + rank + "), got " + p);
    }
    if (len < 0 || offset < 0 || offset + len > segment.byteSize()) {
      throw new IllegalArgumentException(
          "slice ["
              + offset
              + ", "
              + (offset + len)
              + ") outside buffer of "
              + segment.byteSize()
              + " bytes");
    }
    if (!segment.isNative()) {
      throw new IllegalArgumentException("buffers must be native (off-heap) memory segments");
    }
    final int op = allocate();
    inUse[op] = true;
    complete[op] = false;
    isSend[op] = send;
    peer[op] = p;
    sequence[op] = seq;
    tag[op] = tagValue;
    length[op] = len;
    done[op] = 0;
    fragment[op] = 0;
    buffer[op].wrap(segment.address() + offset, len);
    target[op] = segment;
    targetOffset[op] = offset;
    combineDv[op] = 0;
    return op;
  }

  private int allocate() {
    final int n = inUse.length;
    for (int i = 0; i < n; i++) {
      final int op = (freeHint + i) % n;
      if (!inUse[op]) {
        freeHint = op + 1;
        return op;
      }
    }
    throw new IllegalStateException(
        "more than maxOps=" + n + " operations posted (rank=" + rank + ")");
  }

  /** Whether the op finished (send: every frame accepted by the transport; receive: all bytes). */
  public boolean isComplete(final int op) {
    return complete[op];
  }

  /** Frees an op handle; an incomplete op is cancelled (only after a failure). */
  public void release(final int op) {
    if (inUse[op] && !complete[op]) {
      cancelAll(); // queues would otherwise point at a freed op; the group is broken anyway
      return;
    }
    inUse[op] = false;
  }

  /** Drops every posted operation, e.g. after a failed collective, before a new epoch. */
  public void cancelAll() {
    for (int i = 0; i < inUse.length; i++) {
      inUse[i] = false;
    }
    for (int p = 0; p < ranks; p++) {
      sendHead[p] = sendTail[p];
      sendCursor[p] = sendTail[p];
      recvHead[p] = recvTail[p];
    }
  }

  /** One duty cycle: push frames to every destination, poll every source with a posted receive. */
  public int progress() {
    int work = 0;
    for (int p = 0; p < ranks; p++) {
      if (sendHead[p] != sendTail[p]) {
        work += retireCopied(p);
        final int frames;
        try {
          frames = pushSends(p);
        } catch (final PeerLostException e) {
          announceFault(p, FAULT_LOST); // the transport saw p go while sending to it
          throw e;
        }
        if (frames > 0 && doorbell != null) {
          doorbell.ring(p);
        }
        work += frames;
      }
    }
    for (int p = 0; p < ranks; p++) {
      if (recvHead[p] != recvTail[p]) {
        if (singleCopy != null) {
          singleCopy.probe(p); // once per peer: may it send us descriptors?
        }
        receiver.src = p;
        receiver.pulled = false;
        work += transport.poll(p, receiver, POLL_LIMIT);
      }
    }
    return work;
  }

  /**
   * Completes, in order, the sends to {@code dst} its receiver has copied, and skips those sent as
   * frames meanwhile; returns how many completed.
   */
  private int retireCopied(final int dst) {
    int retired = 0;
    while (sendHead[dst] != sendCursor[dst]) {
      final int op = sendQueue[dst][sendHead[dst] & mask];
      if (op != SENT_AS_FRAMES) {
        if (!singleCopy.acknowledged(dst, token[op])) {
          break;
        }
        complete[op] = true;
        counters[CollectiveCounter.MESSAGES_SENT.ordinal()]++;
        retired++;
      }
      sendHead[dst]++;
    }
    return retired;
  }

  private int pushSends(final int dst) {
    int frames = 0;
    while (sendCursor[dst] != sendTail[dst] && frames < FRAMES_PER_DESTINATION) {
      final int op = sendQueue[dst][sendCursor[dst] & mask];
      final int len = length[op];
      final int offset = done[op];
      if (offset == 0 && combineDv[op] > 0) {
        if (!offerCombineDescriptor(dst, op)) {
          break;
        }
        frames++;
        continue;
      }
      if (offset == 0 && singleCopy != null && singleCopy.eligible(dst, len)) {
        if (!offerDescriptor(dst, op)) {
          break;
        }
        frames++;
        continue;
      }
      final int payload = Math.min(maxPayload, len - offset);
      sendHeader
          .sequence(sequence[op])
          .tag(tag[op])
          .blockIndex(fragment[op])
          .payloadLength(payload)
          .messageOffset(offset)
          .messageLength(len);
      if (!transport.offer(dst, sendHeader, HEADER_LENGTH, buffer[op], offset, payload)) {
        counters[CollectiveCounter.BACK_PRESSURE.ordinal()]++;
        break;
      }
      frames++;
      counters[CollectiveCounter.FRAMES_SENT.ordinal()]++;
      counters[CollectiveCounter.BYTES_SENT.ordinal()] += payload;
      done[op] = offset + payload;
      fragment[op]++;
      if (done[op] == len) {
        complete[op] = true;
        counters[CollectiveCounter.MESSAGES_SENT.ordinal()]++;
        // Complete now, so its owner may release the slot and post another op in it while this
        // queue entry still waits behind an uncopied send: the entry must not name the slot.
        sendQueue[dst][sendCursor[dst] & mask] = SENT_AS_FRAMES;
        sendCursor[dst]++;
      }
    }
    retireCopied(dst); // frame-sent ops behind the head
    return frames;
  }

  /** Offers the whole of {@code op} as one descriptor frame; its buffer stays busy until acked. */
  private boolean offerDescriptor(final int dst, final int op) {
    final long t = singleCopy.peekToken(dst);
    sendHeader
        .sequence(sequence[op])
        .tag(tag[op])
        .blockIndex(FrameHeaderFlyweight.DESCRIPTOR_BLOCK_INDEX)
        .payloadLength(SingleCopy.DESCRIPTOR_BYTES)
        .messageOffset(0)
        .messageLength(length[op]);
    descriptor.putLong(0, buffer[op].addressOffset(), ByteOrder.LITTLE_ENDIAN);
    descriptor.putLong(Long.BYTES, t, ByteOrder.LITTLE_ENDIAN);
    return offered(dst, op, t, SingleCopy.DESCRIPTOR_BYTES, CollectiveCounter.SINGLE_COPY_SENT);
  }

  /**
   * Offers the descriptor of {@code op} (in {@link #descriptor}, header set); once accepted the op
   * holds {@code token} and waits for the receiver's acknowledgement.
   */
  private boolean offered(
      final int dst, final int op, final long t, final int bytes, final CollectiveCounter how) {
    if (!transport.offer(dst, sendHeader, HEADER_LENGTH, descriptor, 0, bytes)) {
      counters[CollectiveCounter.BACK_PRESSURE.ordinal()]++;
      return false;
    }
    singleCopy.issued(dst);
    token[op] = t;
    fragment[op] = 1;
    counters[CollectiveCounter.FRAMES_SENT.ordinal()]++;
    counters[CollectiveCounter.BYTES_SENT.ordinal()] += length[op];
    counters[how.ordinal()]++;
    sendCursor[dst]++;
    return true;
  }

  /**
   * Offers {@code op} as one combine descriptor: where the receiver finds X, S and log Γ in this
   * rank's windows ({@link #postCombineSend} checked that they lie in them).
   */
  private boolean offerCombineDescriptor(final int dst, final int op) {
    final long t = singleCopy.peekToken(dst);
    final int len = length[op];
    final long x = buffer[op].addressOffset();
    final long logBytes = (long) (len / (combineDv[op] * Float.BYTES)) * Float.BYTES;
    final boolean hasX = combineX[op];
    final int xWindow = hasX ? windows.indexOf(x, len) : NO_WINDOW;
    final int sWindow = windows.indexOf(combineState[op], len);
    final int logWindow = hasX ? windows.indexOf(combineLog[op], logBytes) : NO_WINDOW;
    sendHeader
        .sequence(sequence[op])
        .tag(tag[op])
        .blockIndex(FrameHeaderFlyweight.COMBINE_DESCRIPTOR_BLOCK_INDEX)
        .payloadLength(COMBINE_DESCRIPTOR_BYTES)
        .messageOffset(0)
        .messageLength(len);
    descriptor.putInt(0, xWindow, ByteOrder.LITTLE_ENDIAN);
    descriptor.putInt(4, sWindow, ByteOrder.LITTLE_ENDIAN);
    descriptor.putInt(8, logWindow, ByteOrder.LITTLE_ENDIAN);
    descriptor.putInt(12, combineDv[op], ByteOrder.LITTLE_ENDIAN);
    descriptor.putLong(16, hasX ? x - windows.base(xWindow) : 0, ByteOrder.LITTLE_ENDIAN);
    descriptor.putLong(24, combineState[op] - windows.base(sWindow), ByteOrder.LITTLE_ENDIAN);
    descriptor.putLong(
        32, hasX ? combineLog[op] - windows.base(logWindow) : 0, ByteOrder.LITTLE_ENDIAN);
    descriptor.putLong(40, t, ByteOrder.LITTLE_ENDIAN);
    return offered(dst, op, t, COMBINE_DESCRIPTOR_BYTES, CollectiveCounter.COMBINE_SENT);
  }

  /**
   * Checks one received frame and, when it belongs to the head receive posted for {@code src},
   * copies its payload in place. Public for tests and fuzzing; returns {@link FrameHandler#ABORT}
   * when the frame must wait for a receive not posted yet.
   */
  public int onFrame(
      final int src, final DirectBuffer buf, final int offset, final int frameLength) {
    if (frameLength < HEADER_LENGTH) {
      return count(CollectiveCounter.REJECTED_SHORT_FRAME);
    }
    final FrameHeaderFlyweight h = recvHeader.wrapHeader(buf, offset);
    if (h.jobId() != ctx.jobId()) {
      return count(CollectiveCounter.DROPPED_FOREIGN_JOB);
    }
    final long epoch = h.epoch();
    if (epoch != ctx.epoch()) {
      return count(
          epoch < ctx.epoch()
              ? CollectiveCounter.DROPPED_STALE_EPOCH
              : CollectiveCounter.REJECTED_FUTURE_EPOCH);
    }
    final int srcRank = h.srcRank();
    if (srcRank < 0 || srcRank >= ranks || srcRank != src) {
      return count(CollectiveCounter.REJECTED_RANK);
    }
    final int payload = h.payloadLength();
    if (payload < 0 || payload != frameLength - HEADER_LENGTH) {
      return count(CollectiveCounter.REJECTED_LENGTH);
    }
    if (h.blockIndex() == FrameHeaderFlyweight.FAULT_BLOCK_INDEX) {
      return onFaultNotice(src, buf, offset + HEADER_LENGTH, payload); // whatever is posted
    }
    if (src < 0 || src >= ranks || recvHead[src] == recvTail[src]) {
      return FrameHandler.ABORT; // no receive posted yet: leave it for later
    }
    final int op = recvQueue[src][recvHead[src] & mask];
    final long seq = h.sequence();
    if (seq < sequence[op]) {
      return count(CollectiveCounter.DROPPED_STALE_SEQUENCE);
    }
    if (seq > sequence[op]) {
      return FrameHandler.ABORT; // a later collective of this peer: wait for its receive
    }
    if (h.tag() != tag[op]) {
      return count(CollectiveCounter.REJECTED_TAG);
    }
    if (h.blockIndex() == FrameHeaderFlyweight.DESCRIPTOR_BLOCK_INDEX) {
      return onDescriptor(src, op, h, buf, offset + HEADER_LENGTH, payload);
    }
    if (h.blockIndex() == FrameHeaderFlyweight.COMBINE_DESCRIPTOR_BLOCK_INDEX) {
      return onCombineDescriptor(src, op, h, buf, offset + HEADER_LENGTH, payload);
    }
    final int len = length[op];
    if (h.messageLength() != len || payload > len - done[op]) {
      return count(CollectiveCounter.REJECTED_LENGTH);
    }
    if (h.messageOffset() != done[op]) {
      return count(CollectiveCounter.REJECTED_OFFSET);
    }
    if (payload > 0) {
      buffer[op].putBytes(done[op], buf, offset + HEADER_LENGTH, payload);
    }
    done[op] += payload;
    counters[CollectiveCounter.FRAMES_RECEIVED.ordinal()]++;
    counters[CollectiveCounter.BYTES_RECEIVED.ordinal()] += payload;
    if (done[op] == len) {
      complete[op] = true;
      counters[CollectiveCounter.MESSAGES_RECEIVED.ordinal()]++;
      recvHead[src]++;
    }
    return FrameHandler.CONSUMED;
  }

  /**
   * A descriptor for the head receive from {@code src}: copy the whole message out of {@code src}'s
   * buffer, then acknowledge so its send completes. Only from a peer this rank agreed to read, and
   * only for exactly the posted length, before any of it arrived as frames.
   */
  private int onDescriptor(
      final int src,
      final int op,
      final FrameHeaderFlyweight h,
      final DirectBuffer buf,
      final int payloadOffset,
      final int payload) {
    final int len = length[op];
    if (!descriptorExpected(src, op, h, payload, SingleCopy.DESCRIPTOR_BYTES)) {
      return count(CollectiveCounter.REJECTED_DESCRIPTOR);
    }
    final long remote = buf.getLong(payloadOffset, ByteOrder.LITTLE_ENDIAN);
    final long t = buf.getLong(payloadOffset + Long.BYTES, ByteOrder.LITTLE_ENDIAN);
    final long copied = singleCopy.pull(src, buffer[op].addressOffset(), remote, len);
    if (copied != len) {
      if (copied == -CrossMemory.ESRCH) {
        // The sender's process is gone: the wait loop fails this collective, naming it.
        goneWhileCopying[src] = true;
        return FrameHandler.CONSUMED;
      }
      // An address outside the sender: a forged or corrupt frame; the real one may still come.
      return count(CollectiveCounter.REJECTED_DESCRIPTOR);
    }
    return completeFromSender(src, op, t, CollectiveCounter.SINGLE_COPY_RECEIVED);
  }

  /**
   * Whether a descriptor of {@code bytes} may stand for the head receive {@code op}: only from a
   * peer this rank agreed to read, only for exactly the posted length, and only before any of the
   * message arrived as frames.
   */
  private boolean descriptorExpected(
      final int src,
      final int op,
      final FrameHeaderFlyweight h,
      final int payload,
      final int bytes) {
    return singleCopy != null
        && singleCopy.readsFrom(src)
        && payload == bytes
        && h.messageLength() == length[op]
        && h.messageOffset() == 0
        && done[op] == 0;
  }

  /**
   * The head receive from {@code src} was filled out of the sender's memory: acknowledge {@code
   * token} so the send completes, and complete the receive.
   */
  private int completeFromSender(
      final int src, final int op, final long token, final CollectiveCounter how) {
    singleCopy.acknowledge(src, token);
    receiver.pulled = true;
    if (doorbell != null) {
      doorbell.ring(src); // it may sleep waiting for this acknowledgement
    }
    done[op] = length[op];
    counters[CollectiveCounter.FRAMES_RECEIVED.ordinal()]++;
    counters[CollectiveCounter.BYTES_RECEIVED.ordinal()] += length[op];
    counters[how.ordinal()]++;
    complete[op] = true;
    counters[CollectiveCounter.MESSAGES_RECEIVED.ordinal()]++;
    recvHead[src]++;
    return FrameHandler.CONSUMED;
  }

  /**
   * A combine descriptor for the head receive from {@code src}: computes the message, {@code Γ ⊙ X
   * + S} row by row, straight out of {@code src}'s windows into the posted buffer, then
   * acknowledges so the send completes. Every index, offset and size comes off the wire and is
   * checked against the mapped windows before use; a decay factor is never exp of a positive.
   */
  private int onCombineDescriptor(
      final int src,
      final int op,
      final FrameHeaderFlyweight h,
      final DirectBuffer buf,
      final int payloadOffset,
      final int payload) {
    final int len = length[op];
    if (windows == null || !descriptorExpected(src, op, h, payload, COMBINE_DESCRIPTOR_BYTES)) {
      return count(CollectiveCounter.REJECTED_DESCRIPTOR);
    }
    final int dv = buf.getInt(payloadOffset + 12, ByteOrder.LITTLE_ENDIAN);
    final long xOffset = buf.getLong(payloadOffset + 16, ByteOrder.LITTLE_ENDIAN);
    final long sOffset = buf.getLong(payloadOffset + 24, ByteOrder.LITTLE_ENDIAN);
    final long logOffset = buf.getLong(payloadOffset + 32, ByteOrder.LITTLE_ENDIAN);
    if (dv <= 0
        || len % ((long) dv * Float.BYTES) != 0
        || ((xOffset | sOffset | logOffset) & 3) != 0) {
      return count(CollectiveCounter.REJECTED_DESCRIPTOR);
    }
    final int rows = (int) (len / ((long) dv * Float.BYTES));
    final int xWindow = buf.getInt(payloadOffset, ByteOrder.LITTLE_ENDIAN);
    final int logWindow = buf.getInt(payloadOffset + 8, ByteOrder.LITTLE_ENDIAN);
    final MemorySegment s =
        windows.peer(src, buf.getInt(payloadOffset + 4, ByteOrder.LITTLE_ENDIAN));
    if (s == null || !within(sOffset, len, s)) {
      return count(CollectiveCounter.REJECTED_DESCRIPTOR);
    }
    if (xWindow == NO_WINDOW && logWindow == NO_WINDOW) {
      // X = 0: the message is S (the first rank of the chain).
      MemorySegment.copy(s, sOffset, target[op], targetOffset[op], len);
    } else {
      final MemorySegment x = windows.peer(src, xWindow);
      final MemorySegment log = windows.peer(src, logWindow);
      if (x == null
          || log == null
          || !within(xOffset, len, x)
          || !within(logOffset, (long) rows * Float.BYTES, log)
          || !decaysValid(log, logOffset, rows)) {
        return count(CollectiveCounter.REJECTED_DESCRIPTOR);
      }
      ScanOperator.combineRows(
          log, logOffset, x, xOffset, s, sOffset, target[op], targetOffset[op], rows, dv);
    }
    return completeFromSender(
        src,
        op,
        buf.getLong(payloadOffset + 40, ByteOrder.LITTLE_ENDIAN),
        CollectiveCounter.COMBINE_RECEIVED);
  }

  private static boolean within(final long offset, final long bytes, final MemorySegment window) {
    return offset >= 0 && bytes >= 0 && offset <= window.byteSize() - bytes;
  }

  /** Whether every log-decay is ≤ 0 or NaN (never exp of a positive; NaN propagates as before). */
  private static boolean decaysValid(final MemorySegment log, final long offset, final int rows) {
    for (int r = 0; r < rows; r++) {
      if (log.get(ValueLayout.JAVA_FLOAT_UNALIGNED, offset + (long) r * Float.BYTES) > 0f) {
        return false;
      }
    }
    return true;
  }

  /** Records the first fault notice of this epoch; the next idle of a wait throws on it. */
  private int onFaultNotice(
      final int src, final DirectBuffer buf, final int payloadOffset, final int payload) {
    if (payload != FAULT_NOTICE_BYTES) {
      return count(CollectiveCounter.REJECTED_FAULT_NOTICE);
    }
    final int blamed = buf.getInt(payloadOffset, ByteOrder.LITTLE_ENDIAN);
    final int kind = buf.getInt(payloadOffset + 4, ByteOrder.LITTLE_ENDIAN);
    if (blamed < 0 || blamed >= ranks || (kind != FAULT_LOST && kind != FAULT_TIMED_OUT)) {
      return count(CollectiveCounter.REJECTED_FAULT_NOTICE);
    }
    if (faultReporter < 0) {
      faultReporter = src;
      faultBlamed = blamed;
      faultKind = kind;
    }
    return count(CollectiveCounter.FAULT_NOTICES_RECEIVED);
  }

  /**
   * Tells every other peer still reachable that this rank's collective failed because of {@code
   * blamed}; once per communicator. Best effort: a peer that is gone or stays back-pressured for
   * {@link #FAULT_OFFER_ATTEMPTS} offers is skipped, since failing must not wait.
   */
  private void announceFault(final int blamed, final int kind) {
    if (faultAnnounced || closed) {
      return;
    }
    faultAnnounced = true;
    faultPayload.putInt(0, blamed, ByteOrder.LITTLE_ENDIAN);
    faultPayload.putInt(4, kind, ByteOrder.LITTLE_ENDIAN);
    for (int p = 0; p < ranks; p++) {
      if (p == rank || p == blamed || transport.isPeerLost(p)) {
        continue;
      }
      try {
        for (int attempt = 0; attempt < FAULT_OFFER_ATTEMPTS; attempt++) {
          if (transport.offer(p, faultHeader, HEADER_LENGTH, faultPayload, 0, FAULT_NOTICE_BYTES)) {
            counters[CollectiveCounter.FAULT_NOTICES_SENT.ordinal()]++;
            if (doorbell != null) {
              doorbell.ring(p); // it may sleep waiting on us
            }
            break;
          }
          Thread.onSpinWait();
        }
      } catch (final CollectiveTimeoutException e) {
        // p went too (PeerLostException): nobody left there to tell.
      }
    }
  }

  private int count(final CollectiveCounter c) {
    counters[c.ordinal()]++;
    return FrameHandler.CONSUMED;
  }

  /**
   * Starts a wait loop's backoff from the beginning (spins, then yields, then parks). The idle
   * strategy is reset only when a poll does work, and a wait that ends by completing its call never
   * idles again — so without this the next call's first idle resumed the previous wait's park phase
   * (traced: P = 2 All-Scan at 256 KiB, rank 0 parked on a timer in every barrier and call, the
   * core halted, ~160 µs per call instead of ~40 µs).
   */
  public void beginWait() {
    idle.reset();
    idleRounds = 0;
  }

  /**
   * Between polls of a wait loop: throws if the deadline passed or a peer with pending work is
   * gone, else idles. The messages name {@code opName}, the rank waited on, the elapsed time and
   * the epoch.
   */
  public void idleOrFail(
      final int work,
      final String opName,
      final long seq,
      final long startNs,
      final long deadlineNs) {
    idleOrFail(work, opName, seq, startNs, deadlineNs, null);
  }

  /** As above, for a collective that also waits on shared memory ({@code local}, may be null). */
  public void idleOrFail(
      final int work,
      final String opName,
      final long seq,
      final long startNs,
      final long deadlineNs,
      final LocalWait local) {
    if (work > 0) {
      idle.reset();
      idleRounds = 0;
      return;
    }
    final long now = System.nanoTime();
    if (faultReporter >= 0) {
      throw reportedFault(opName, seq, now - startNs);
    }
    // A lost peer fails the wait if this rank has posted operations with it, or if the collective
    // waits on it (or on any rank) in shared memory.
    final int awaited = local == null ? -1 : local.awaitedRank();
    for (int p = 0; p < ranks; p++) {
      final boolean posted = recvHead[p] != recvTail[p] || sendHead[p] != sendTail[p];
      final boolean awaitedHere =
          p != rank && awaited != -1 && (awaited == p || awaited == LocalWait.ANY_RANK);
      if ((posted && (transport.isPeerLost(p) || goneWhileCopying[p]))
          || (awaitedHere && transport.isPeerLost(p))) {
        announceFault(p, FAULT_LOST);
        throw new PeerLostException(
            opName
                + ": rank="
                + rank
                + " lost rank="
                + p
                + " after "
                + TimeUnit.NANOSECONDS.toMillis(now - startNs)
                + " ms waiting "
                + (!posted
                    ? "for " + local.awaited()
                    : recvHead[p] != recvTail[p] ? "for a message from it" : "to send to it")
                + " (seq="
                + seq
                + " epoch="
                + ctx.epoch()
                + ")");
      }
    }
    if (now - deadlineNs > 0) {
      final int waitedOn = awaited >= 0 ? awaited : waitingOnRank();
      if (waitedOn >= 0) {
        announceFault(waitedOn, FAULT_TIMED_OUT);
      }
      throw new CollectiveTimeoutException(
          opName
              + ": rank="
              + rank
              + " waited "
              + TimeUnit.NANOSECONDS.toMillis(now - startNs)
              + " ms for "
              + (awaited != -1 ? local.awaited() : describeWaitingOn())
              + " (seq="
              + seq
              + " epoch="
              + ctx.epoch()
              + ")");
    }
    if (Thread.currentThread().isInterrupted()) {
      throw new CollectiveTimeoutException(
          opName
              + ": rank="
              + rank
              + " interrupted after "
              + TimeUnit.NANOSECONDS.toMillis(now - startNs)
              + " ms (seq="
              + seq
              + " epoch="
              + ctx.epoch()
              + ")");
    }
    if (doorbell != null && ++idleRounds > idleRoundsBeforeDoorbell && !sendsPending()) {
      sleepOnDoorbell(local);
      return;
    }
    idle.idle();
  }

  /**
   * Whether a send waits for the transport (back-pressure: no peer rings for that). Sends waiting
   * for a single-copy acknowledgement do not count: the receiver rings after copying.
   */
  private boolean sendsPending() {
    for (int p = 0; p < ranks; p++) {
      if (sendCursor[p] != sendTail[p]) {
        return true;
      }
    }
    return false;
  }

  /**
   * Announce, poll once more (a frame may have landed, or shared memory moved on, meanwhile), then
   * sleep until rung.
   */
  private void sleepOnDoorbell(final LocalWait local) {
    final int seen = doorbell.prepare(rank);
    try {
      if (progress() == 0 && (local == null || !local.hasLocalWork())) {
        counters[CollectiveCounter.DOORBELL_SLEEPS.ordinal()]++;
        doorbell.await(rank, seen, DOORBELL_TIMEOUT_NS);
      }
    } finally {
      doorbell.done(rank);
    }
  }

  /** The error for a fault a peer reported; passes the notice on first (some wait only on us). */
  private CollectiveTimeoutException reportedFault(
      final String opName, final long seq, final long elapsedNs) {
    announceFault(faultBlamed, faultKind);
    final String tail =
        " after "
            + TimeUnit.NANOSECONDS.toMillis(elapsedNs)
            + " ms (seq="
            + seq
            + " epoch="
            + ctx.epoch()
            + ")";
    if (faultKind == FAULT_LOST) {
      return new PeerLostException(
          opName
              + ": rank="
              + rank
              + " lost rank="
              + faultBlamed
              + " (reported by rank="
              + faultReporter
              + ")"
              + tail);
    }
    return new CollectiveTimeoutException(
        opName
            + ": rank="
            + rank
            + " stopped: rank="
            + faultReporter
            + " timed out waiting for rank="
            + faultBlamed
            + tail);
  }

  /** The first rank a posted receive or send waits on, or -1 when nothing is posted. */
  private int waitingOnRank() {
    for (int p = 0; p < ranks; p++) {
      if (recvHead[p] != recvTail[p]) {
        return p;
      }
    }
    for (int p = 0; p < ranks; p++) {
      if (sendHead[p] != sendTail[p]) {
        return p;
      }
    }
    return -1;
  }

  private String describeWaitingOn() {
    for (int p = 0; p < ranks; p++) {
      if (recvHead[p] != recvTail[p]) {
        final int op = recvQueue[p][recvHead[p] & mask];
        return "a message from rank="
            + p
            + " (tag="
            + tag[op]
            + ", "
            + done[op]
            + "/"
            + length[op]
            + " bytes)";
      }
    }
    for (int p = 0; p < ranks; p++) {
      if (sendCursor[p] != sendTail[p]) {
        return "rank=" + p + " to accept a message (back-pressure)";
      }
      if (sendHead[p] != sendTail[p]) {
        return "rank=" + p + " to copy a message (single copy)";
      }
    }
    return "nothing (local)";
  }

  @Override
  public void close() {
    closed = true;
    cancelAll();
  }

  /** The transport's view of frames from one source, bound to the current poll. */
  private final class Receiver implements FrameHandler {
    int src;
    // Set once a message of this poll was filled out of the sender's memory: the rest of the poll
    // is left for the next one, after the collective acted on that message. Without it one poll
    // took all K blocks of an All-Scan hop before the first was forwarded, and the pipeline ran
    // rank after rank (traced: P = 8, 4 MiB, K = 4, rank r + 1 began only after rank r's last
    // block).
    boolean pulled;

    @Override
    public int onFrame(final DirectBuffer buf, final int offset, final int frameLength) {
      if (pulled) {
        return FrameHandler.ABORT;
      }
      return Communicator.this.onFrame(src, buf, offset, frameLength);
    }
  }
}
