package io.seqpar.worker.train;

import io.seqpar.collectives.Communicator;
import io.seqpar.collectives.algo.AllReduce;
import io.seqpar.worker.data.SequenceBatcher;
import io.seqpar.worker.model.LanguageModel;
import io.seqpar.worker.model.ParameterSet;
import io.seqpar.worker.optim.AdamW;
import io.seqpar.worker.optim.GradientClipper;
import io.seqpar.worker.optim.LrSchedule;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One rank's training step under sequence parallelism (algorithms.md §4.1):
 *
 * <pre>
 *   1. this rank's tokens of every sequence, targets shifted globally (the batcher)
 *   2. forward: loss_r = Σ CE over the rank's tokens / (B·T)   (attention exchanges states)
 *   3. backward: parameter gradients of the rank's tokens
 *   4. all-reduce (sum) of every gradient and of the loss: the true gradient and loss
 *   5. clip on the global norm (identical on every rank), AdamW step
 * </pre>
 *
 * Weights stay replicated: every rank starts from the same seed and applies bit-identical reduced
 * gradients. With one rank no communication happens.
 */
public final class SpTrainer implements AutoCloseable {
  private final LanguageModel model;
  private final ParameterSet params;
  private final AdamW optimizer;
  private final SequenceBatcher data;
  private final LrSchedule schedule;
  private final double clipNorm;
  private final long tokensGlobal;
  private final AllReduce gradReduce;
  private final AllReduce lossReduce;
  private final Arena arena = Arena.ofConfined();
  private final MemorySegment lossBuf;
  private final int[] tokens;
  private final int[] targets;
  private final int gradFloats;
  private long reduceNs;

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
    final MemorySegment grads = params.gradientBlock();
    this.gradFloats = Math.toIntExact(grads.byteSize() / Float.BYTES);
    final boolean distributed = comm != null && comm.ranks() > 1;
    this.gradReduce = distributed ? new AllReduce(comm, (int) grads.byteSize()) : null;
    this.lossReduce = distributed ? new AllReduce(comm, Float.BYTES) : null;
    this.lossBuf = arena.allocate(Float.BYTES);
    this.tokens = new int[model.batch() * model.len()];
    this.targets = new int[model.batch() * model.len()];
  }

  /** Runs step {@code step} (0-based) and returns the global loss. */
  public double step(final long step) {
    data.fill(step, tokens, targets);
    params.zeroGradients();
    final double localLoss = model.forward(tokens, targets, tokensGlobal);
    model.backward();
    double loss = localLoss;
    if (gradReduce != null) {
      final long t0 = System.nanoTime();
      gradReduce.start(params.gradientBlock(), gradFloats);
      gradReduce.await();
      lossBuf.set(ValueLayout.JAVA_FLOAT, 0, (float) localLoss);
      lossReduce.start(lossBuf, 1);
      lossReduce.await();
      loss = lossBuf.get(ValueLayout.JAVA_FLOAT, 0);
      reduceNs = System.nanoTime() - t0;
    }
    final double scale = GradientClipper.scale(params.gradSumOfSquares(), clipNorm);
    optimizer.step(step + 1, schedule.lr(step), scale);
    return loss;
  }

  /** Runs forward and backward of step {@code step} with the reductions, but no optimizer step. */
  public double gradients(final long step) {
    data.fill(step, tokens, targets);
    params.zeroGradients();
    final double localLoss = model.forward(tokens, targets, tokensGlobal);
    model.backward();
    if (gradReduce == null) {
      return localLoss;
    }
    gradReduce.start(params.gradientBlock(), gradFloats);
    gradReduce.await();
    lossBuf.set(ValueLayout.JAVA_FLOAT, 0, (float) localLoss);
    lossReduce.start(lossBuf, 1);
    lossReduce.await();
    return lossBuf.get(ValueLayout.JAVA_FLOAT, 0);
  }

  /** Nanoseconds of the last step's gradient and loss all-reduce. */
  public long reduceNs() {
    return reduceNs;
  }

  @Override
  public void close() {
    arena.close();
  }
}
