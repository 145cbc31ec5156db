package io.seqpar.collectives.transport;

import io.seqpar.tensor.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Copies bytes straight out of another process on this host with Linux's {@code
 * process_vm_readv(2)} ("cross-memory attach", what Open MPI's shared-memory transport calls CMA):
 * one copy from the sender's buffer into the receiver's, where a frame through a shared log is two
 * (in, out) plus the log's upkeep.
 *
 * <p>The kernel allows it when the caller could ptrace the target: same user, target dumpable, and
 * no stricter Yama {@code ptrace_scope} (Ubuntu's default 1 forbids it between siblings). Callers
 * must therefore probe a peer once ({@link RendezvousBoard}) and fall back to frames on {@code
 * EPERM}.
 *
 * <p>One instance per thread: the iovecs and the errno capture are reused, so {@link #read} does
 * not allocate.
 */
public final class CrossMemory {
  /** {@code errno} values {@link #read} may return, negated. */
  public static final int EPERM = 1;

  public static final int ESRCH = 3;
  public static final int EFAULT = 14;

  private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle READV = readvHandle();

  private final MemorySegment localIov;
  private final MemorySegment remoteIov;
  private final MemorySegment capture;

  public CrossMemory() {
    if (READV == null) {
      throw new UnsupportedOperationException("process_vm_readv is not available on this platform");
    }
    final Arena arena = Arena.ofAuto();
    this.localIov = arena.allocate(16, 8); // struct iovec { void *base; size_t len; }
    this.remoteIov = arena.allocate(16, 8);
    this.capture = arena.allocate(CAPTURE);
  }

  /** Whether this platform has {@code process_vm_readv} (Linux, through the C library). */
  public static boolean available() {
    return READV != null;
  }

  /** This process's id, as peers pass it to {@link #read}. */
  public static int currentPid() {
    return (int) ProcessHandle.current().pid();
  }

  /**
   * Copies {@code length} bytes at {@code remoteAddress} in process {@code pid} to {@code
   * localAddress} here, continuing after partial transfers.
   *
   * @return {@code length}, or a negated {@code errno} ({@link #EPERM}: not allowed, {@link
   *     #ESRCH}: no such process, {@link #EFAULT}: an address not mapped)
   */
  public long read(
      final int pid, final long localAddress, final long remoteAddress, final long length) {
    long done = 0;
    while (done < length) {
      localIov.set(ValueLayout.JAVA_LONG, 0, localAddress + done);
      localIov.set(ValueLayout.JAVA_LONG, 8, length - done);
      remoteIov.set(ValueLayout.JAVA_LONG, 0, remoteAddress + done);
      remoteIov.set(ValueLayout.JAVA_LONG, 8, length - done);
      final long n;
      try {
        n = (long) READV.invokeExact(capture, pid, localIov, 1L, remoteIov, 1L, 0L);
      } catch (final Throwable t) {
        throw new IllegalStateException("process_vm_readv failed", t);
      }
      if (n < 0) {
        return -(int) ERRNO.get(capture, 0L);
      }
      if (n == 0) {
        return -EFAULT; // nothing more readable at the remote address
      }
      done += n;
    }
    return done;
  }

  private static MethodHandle readvHandle() {
    // ssize_t process_vm_readv(pid_t, const iovec*, unsigned long, const iovec*, unsigned long,
    //                          unsigned long)
    return Libc.downcall(
        "process_vm_readv",
        FunctionDescriptor.of(
            ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG,
            ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG),
        Linker.Option.captureCallState("errno"));
  }
}
