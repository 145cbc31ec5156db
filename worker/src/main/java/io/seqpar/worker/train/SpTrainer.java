package io.seqpar.worker.train;

import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.algo.AllReduce;
import io.seqpar.worker.data.SequenceBatcher;
import io.seqpar.worker.model.BackwardListener;
import io.seqpar.worker.model.LanguageModel;
import io.seqpar.worker.model.ParameterSet;
import io.seqpar.worker.optim.AdamW;
import io.seqpar.worker.optim.GradientClipper;
import io.seqpar.worker.optim.LrSchedule;
import io.seqpar.worker.sp.SequenceParallelAttention;
import io.seqpar.worker.sp.SpAttentionOp;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One rank's training step under sequence parallelism (algorithms.md §4.1):
 *
 * <pre>
 *   1. this rank's tokens of every sequence, targets shifted globally (the batcher)
 *   2. forward: loss_r = Σ CE over the rank's tokens / (B·T)   (attention exchanges states)
 *   3. backward: parameter gradients of the rank's tokens; meanwhile all-reduce (sum) each
 *      gradient bucket as soon as it is final (last block first, see {@link GradientReducer})
 *   4. wait for the last bucket; all-reduce the loss: the true gradient and loss
 *   5. clip on the global norm (identical on every rank), AdamW step
 * </pre>
 *
 * With {@link #overlapGradientReduce(boolean) overlap off}, step 3 all-reduces the whole gradient
 * block after backward instead; both give the same bits. Weights stay replicated: every rank starts
 * from the same seed and applies bit-identical reduced gradients. With one rank no communication
 * happens.
 */
public final class SpTrainer implements AutoCloseable {
  private final LanguageModel model;
  private final ParameterSet params;
  private final AdamW optimizer;
  private final SequenceBatcher data;
  private final LrSchedule schedule;
  private final double clipNorm;
  private final long tokensGlobal;
  private final GradientReducer gradReduce;
  private final AllReduce lossReduce;
  private final Arena arena = Arena.ofConfined();
  private final MemorySegment lossBuf;
  private final int[] tokens;
  private final int[] targets;
  private boolean overlap = true;
  private long reduceNs;
  // the last step's accounting (read by lastStepStats)
  private long lastStep = -1;
  private long stepNs;
  private long lossReduceNs;
  private long lossBytesSent;

  public SpTrainer(
      final LanguageModel model,
      final AdamW optimizer,
      final SequenceBatcher data,
      final LrSchedule schedule,
      final double clipNorm,
      final long tokensGlobal,
      final Communicator comm) {
    this.model = model;
    this.params = model.parameters();
    this.optimizer = optimizer;
    this.data = data;
    this.schedule = schedule;
    this.clipNorm = clipNorm;
    this.tokensGlobal = tokensGlobal;
    final boolean distributed = comm != null && comm.ranks() > 1;
    this.gradReduce =
        distributed
            ? new GradientReducer(comm, params.gradientBlock(), params.gradientBuckets())
            : null;
    this.lossReduce = distributed ? new AllReduce(comm, Float.BYTES) : null;
    this.lossBuf = arena.allocate(Float.BYTES);
    this.tokens = new int[model.batch() * model.len()];
    this.targets = new int[model.batch() * model.len()];
  }

  /**
   * Whether the gradient all-reduce runs bucket by bucket during backward (default) or in one call
   * after it. Every rank of the group must use the same setting.
   */
  public SpTrainer overlapGradientReduce(final boolean on) {
    this.overlap = on;
    return this;
  }

  /** Runs step {@code step} (0-based) and returns the global loss. */
  public double step(final long step) {
    final long t0 = System.nanoTime();
    final double loss = forwardBackwardReduce(step);
    final double scale = GradientClipper.scale(params.gradSumOfSquares(), clipNorm);
    optimizer.step(step + 1, schedule.lr(step), scale);
    stepNs = System.nanoTime() - t0;
    return loss;
  }

  /** Runs forward and backward of step {@code step} with the reductions, but no optimizer step. */
  public double gradients(final long step) {
    final long t0 = System.nanoTime();
    final double loss = forwardBackwardReduce(step);
    stepNs = System.nanoTime() - t0;
    return loss;
  }

  private double forwardBackwardReduce(final long step) {
    lastStep = step;
    data.fill(step, tokens, targets);
    params.zeroGradients();
    final double localLoss = model.forward(tokens, targets, tokensGlobal);
    if (gradReduce == null) {
      model.backward();
      return localLoss;
    }
    gradReduce.reset();
    if (overlap) {
      model.backward(gradReduce);
      gradReduce.finish();
    } else {
      model.backward(BackwardListener.NONE);
      gradReduce.reduceAll();
    }
    final long t0 = System.nanoTime();
    lossBuf.set(ValueLayout.JAVA_FLOAT, 0, (float) localLoss);
    lossReduce.start(lossBuf, 1);
    lossReduce.await();
    lossReduceNs = System.nanoTime() - t0;
    lossBytesSent = lossReduce.stats().bytesSent();
    reduceNs = gradReduce.exposedNs + lossReduceNs;
    return lossBuf.get(ValueLayout.JAVA_FLOAT, 0);
  }

  /** Nanoseconds of the last step's gradient and loss all-reduce that were not overlapped. */
  public long reduceNs() {
    return reduceNs;
  }

  /**
   * Accounting of the last {@link #step} or {@link #gradients} call ({@link StepStats#NONE}
   * before).
   */
  public StepStats lastStepStats() {
    if (lastStep < 0) {
      return StepStats.NONE;
    }
    long attnNs = 0;
    long attnExposedNs = 0;
    if (model.attention() instanceof SpAttentionOp sp) {
      for (int l = 0; l < sp.layers(); l++) {
        final SequenceParallelAttention a = sp.layer(l);
        attnNs += a.forwardStats().totalNs() + a.backwardStats().totalNs();
        attnExposedNs += a.forwardStats().exposedNs() + a.backwardStats().exposedNs();
      }
    }
    final boolean reduced = gradReduce != null;
    return new StepStats(
        lastStep,
        stepNs / 1e9,
        reduced ? (gradReduce.reduceNs + lossReduceNs) / 1e9 : 0,
        reduced ? (gradReduce.exposedNs + lossReduceNs) / 1e9 : 0,
        reduced ? gradReduce.bytesSent + lossBytesSent : 0,
        reduced ? gradReduce.calls : 0,
        attnNs / 1e9,
        attnExposedNs / 1e9);
  }

  @Override
  public void close() {
    arena.close();
  }
}
