package io.seqpar.worker.sp;

import io.seqpar.SeqparException;
import io.seqpar.collectives.CollectiveContext;
import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.transport.InMemoryTransport;
import io.seqpar.worker.attention.AttentionInputs;
import io.seqpar.worker.attention.AttentionOutputs;
import io.seqpar.worker.kernel.DecayMode;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs causal softmax attention (score scale dk^-1/2, diagonal included, loss {@code Σ dO ⊙ o})
 * over a whole {@code [B,H,T,d]} problem with P ranks as threads over the in-memory transport, and
 * gathers o, dq, dk, dv as a single device would produce them ({@code S_T} stays zero).
 */
public final class SoftmaxAttentionRunner {
  private static final int RING_BYTES = 64 * 1024;

  private SoftmaxAttentionRunner() {}

  /** Outputs plus each rank's accounting. */
  public record Result(AttentionOutputs outputs, SpCallStats[] forward, SpCallStats[] backward)
      implements AutoCloseable {
    @Override
    public void close() {
      outputs.close();
    }
  }

  public static Result runInMemory(
      final AttentionInputs in,
      final int ranks,
      final SoftmaxStrategy strategy,
      final long timeoutNs) {
    final SequenceLayout layout = new SequenceLayout(strategy.layout(), in.tokens(), ranks);
    final AttentionOutputs out =
        new AttentionOutputs(
            DecayMode.PLAIN, in.batch(), in.heads(), in.tokens(), in.dk(), in.dv());
    final SpCallStats[] fwd = new SpCallStats[ranks];
    final SpCallStats[] bwd = new SpCallStats[ranks];
    final InMemoryTransport[] group = InMemoryTransport.group(ranks, RING_BYTES);
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final Thread[] threads = new Thread[ranks];
    final float scale = (float) (1.0 / Math.sqrt(in.dk()));
    for (int r = 0; r < ranks; r++) {
      final int rank = r;
      threads[r] =
          Thread.ofPlatform()
              .name("softmax-rank-" + r)
              .start(
                  () -> {
                    final CollectiveContext ctx =
                        new CollectiveContext().jobId(1).epoch(1).timeoutNs(timeoutNs);
                    try (Communicator comm = new Communicator(group[rank], ctx);
                        LayoutSlice slice = new LayoutSlice(in, layout, rank);
                        SoftmaxSpAttention op =
                            SoftmaxSpAttention.create(
                                strategy,
                                comm,
                                rank,
                                layout,
                                in.batch() * in.heads(),
                                in.dk(),
                                in.dv(),
                                scale)) {
                      slice.run(op);
                      slice.scatterInto(out);
                      fwd[rank] = op.forwardStats();
                      bwd[rank] = op.backwardStats();
                    } catch (final Throwable t) {
                      failure.compareAndSet(null, t);
                      group[rank].close(); // peers waiting on this rank fail fast, naming it
                    }
                  });
    }
    final long deadline = System.nanoTime() + 4 * timeoutNs + TimeUnit.SECONDS.toNanos(60);
    try {
      for (final Thread t : threads) {
        final long left = deadline - System.nanoTime();
        if (left <= 0 || !t.join(Duration.ofNanos(left))) {
          throw new SeqparException(
              "softmax attention: rank thread "
                  + t.getName()
                  + " did not finish before the deadline");
        }
      }
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SeqparException("softmax attention: interrupted", e);
    } finally {
      for (final InMemoryTransport t : group) {
        t.close();
      }
    }
    if (failure.get() != null) {
      out.close();
      final Throwable t = failure.get();
      throw t instanceof RuntimeException re
          ? re
          : new SeqparException("softmax attention failed", t);
    }
    return new Result(out, fwd, bwd);
  }
}
