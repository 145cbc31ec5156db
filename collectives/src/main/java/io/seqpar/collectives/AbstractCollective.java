package io.seqpar.collectives;

import io.seqpar.collectives.exceptions.PeerLostException;
import java.util.concurrent.TimeUnit;

/**
 * The start/poll/await skeleton every collective shares. A subclass posts its first operations in
 * {@code start…}, advances in {@link #doWork()} (combine what arrived, post what became ready) and
 * reports {@link #isDone()}. {@link #await()} drives the {@link Communicator} until done or until
 * the deadline set at start, and fills {@link #stats()}.
 *
 * <p>Between start and await the caller may compute; calling {@link #poll()} now and then from that
 * computation keeps the pipeline moving (All-Scan forwards blocks only while polled).
 */
public abstract class AbstractCollective implements Communicator.LocalWait {
  protected final Communicator comm;
  protected final int rank;
  protected final int ranks;
  private final CollectiveStats stats = new CollectiveStats();
  private String opName = "";
  private long seq;
  private long startNs;
  private long deadlineNs;
  private boolean active;
  private long bytesSent0;
  private long bytesReceived0;
  private long messagesSent0;
  private long messagesReceived0;

  protected AbstractCollective(final Communicator comm) {
    this.comm = comm;
    this.rank = comm.rank();
    this.ranks = comm.ranks();
  }

  /** Accounting of the last call (or of the current one, so far). */
  public CollectiveStats stats() {
    return stats;
  }

  /** Whether a call was started and has not been awaited to completion. */
  public boolean isActive() {
    return active;
  }

  /** Claims a sequence, sets the deadline and snapshots counters; returns the sequence. */
  protected final long begin(final String name) {
    if (active) {
      throw new IllegalStateException(name + ": rank=" + rank + " previous call not awaited");
    }
    opName = name;
    seq = comm.nextSequence();
    startNs = System.nanoTime();
    deadlineNs = startNs + comm.timeoutNs();
    stats.reset();
    bytesSent0 = comm.counter(CollectiveCounter.BYTES_SENT);
    bytesReceived0 = comm.counter(CollectiveCounter.BYTES_RECEIVED);
    messagesSent0 = comm.counter(CollectiveCounter.MESSAGES_SENT);
    messagesReceived0 = comm.counter(CollectiveCounter.MESSAGES_RECEIVED);
    active = true;
    return seq;
  }

  protected final long sequence() {
    return seq;
  }

  protected final void addStatesReceived(final int n) {
    stats.statesReceived += n;
  }

  /**
   * For collectives that wait on shared memory: whether a poll would make progress now. Those that
   * wait only on posted operations (the default) return false.
   */
  @Override
  public boolean hasLocalWork() {
    return false;
  }

  /** The rank a shared-memory wait is on, {@link #ANY_RANK}, or −1 (waits on posted operations). */
  @Override
  public int awaitedRank() {
    return -1;
  }

  @Override
  public String awaited() {
    return "posted operations";
  }

  /** Advances local work (combine, forward); returns a work count. */
  protected abstract int doWork();

  /** Whether every operation of the current call finished. */
  protected abstract boolean isDone();

  /** Releases the call's operation handles. */
  protected abstract void releaseOps();

  /** One progress step without waiting; returns true when the call is complete. */
  public final boolean poll() {
    if (!active) {
      return true;
    }
    comm.progress();
    doWork();
    if (isDone()) {
      finish();
      return true;
    }
    return false;
  }

  /** Waits for the call to complete, at most until the deadline fixed at start. */
  public final void await() {
    await(deadlineNs);
  }

  /**
   * Waits until the call completes or {@code deadline} ({@link System#nanoTime()} based) passes.
   *
   * @throws io.seqpar.collectives.exceptions.CollectiveTimeoutException naming op, rank waited on,
   *     elapsed time and epoch; {@link io.seqpar.collectives.exceptions.PeerLostException} when
   *     that rank is known to be gone
   */
  public final void await(final long deadline) {
    if (!active) {
      return;
    }
    final long t0 = System.nanoTime();
    comm.beginWait();
    try {
      while (true) {
        int work = comm.progress();
        work += doWork();
        if (isDone()) {
          finish();
          return;
        }
        comm.idleOrFail(work, opName, seq, startNs, deadline, this);
      }
    } catch (final PeerLostException e) {
      active = false;
      comm.cancelAll();
      if (e.reason().startsWith(opName + ":")) {
        throw e;
      }
      // Raised by the transport (e.g. an offer to a peer that vanished): add the op context.
      throw new PeerLostException(
          opName
              + ": rank="
              + rank
              + " lost a peer after "
              + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs)
              + " ms: "
              + e.reason()
              + " (seq="
              + seq
              + " epoch="
              + comm.epoch()
              + ")",
          e);
    } catch (final RuntimeException | Error e) {
      active = false;
      comm.cancelAll();
      throw e;
    } finally {
      stats.waitNs += System.nanoTime() - t0;
    }
  }

  private void finish() {
    releaseOps();
    stats.bytesSent = comm.counter(CollectiveCounter.BYTES_SENT) - bytesSent0;
    stats.bytesReceived = comm.counter(CollectiveCounter.BYTES_RECEIVED) - bytesReceived0;
    stats.messagesSent = comm.counter(CollectiveCounter.MESSAGES_SENT) - messagesSent0;
    stats.messagesReceived = comm.counter(CollectiveCounter.MESSAGES_RECEIVED) - messagesReceived0;
    active = false;
  }

  /** Marks a call that needed no communication (P = 1) complete. */
  protected final void completeLocally() {
    finish();
  }
}
