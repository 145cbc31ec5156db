package io.seqpar.worker.bench;

import io.seqpar.tensor.TensorArena;
import io.seqpar.worker.kernel.ChunkStates;
import io.seqpar.worker.kernel.ChunkedLinearAttention;
import io.seqpar.worker.kernel.DecayMode;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Chunked linear attention on one thread, the configuration of the PyTorch CPU anchor
 * (shared/anchors/compute-baseline.md): B=1, H=4, dk=dv=64, C=64, fp32. Run with {@code bin/jmh
 * LinearAttentionBench}. Tokens/s = B·T / (seconds per op); the anchor's FLOP model counts {@code
 * B·H·T·(4Cd + 4d²)} per forward and 3× that for forward+backward.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xmx4g"})
@Threads(1)
public class LinearAttentionBench {
  @Param({"65536"})
  int tokens;

  @Param({"const_decay", "plain", "gla"})
  String mode;

  static final int HEADS = 4;
  static final int D = 64;
  static final int CHUNK = 64;

  private TensorArena arena;
  private ChunkedLinearAttention kernel;
  private MemorySegment[] q;
  private MemorySegment[] k;
  private MemorySegment[] v;
  private MemorySegment[] g;
  private MemorySegment[] o;
  private MemorySegment[] dO;
  private MemorySegment[] dq;
  private MemorySegment[] dk;
  private MemorySegment[] dv;
  private MemorySegment[] dg;
  private final ChunkStates[] cache = new ChunkStates[HEADS];
  private final float[] logLambda = {
    (float) Math.log(0.91), (float) Math.log(0.95), (float) Math.log(0.99), (float) Math.log(0.998)
  };

  @Setup(Level.Trial)
  public void setUp() {
    final DecayMode m = DecayMode.fromId(mode);
    kernel = new ChunkedLinearAttention(m, CHUNK, D, D);
    final TensorArena.Builder plan = TensorArena.builder("bench");
    for (final String n : new String[] {"q", "k", "v", "g", "o", "dO", "dq", "dk", "dv", "dg"}) {
      plan.add(n, HEADS, tokens, D);
    }
    arena = plan.build();
    final SplittableRandom r = new SplittableRandom(1);
    for (final String n : new String[] {"q", "k", "v", "dO"}) {
      final var view = arena.view(n);
      for (long i = 0; i < view.count(); i++) {
        view.set(i, (float) (r.nextDouble(-1, 1) * (n.equals("q") || n.equals("k") ? 0.125 : 1)));
      }
    }
    final var gv = arena.view("g");
    for (long i = 0; i < gv.count(); i++) {
      gv.set(i, (float) (-Math.log1p(Math.exp(-r.nextDouble(-2, 2))) / 16));
    }
    q = heads("q");
    k = heads("k");
    v = heads("v");
    g = m == DecayMode.GLA ? heads("g") : new MemorySegment[HEADS];
    o = heads("o");
    dO = heads("dO");
    dq = heads("dq");
    dk = heads("dk");
    dv = heads("dv");
    dg = m == DecayMode.GLA ? heads("dg") : new MemorySegment[HEADS];
    for (int h = 0; h < HEADS; h++) {
      cache[h] = new ChunkStates();
    }
  }

  private MemorySegment[] heads(final String name) {
    final MemorySegment all = arena.view(name).segment();
    final long bytes = (long) tokens * D * Float.BYTES;
    final MemorySegment[] out = new MemorySegment[HEADS];
    for (int h = 0; h < HEADS; h++) {
      out[h] = all.asSlice(h * bytes, bytes);
    }
    return out;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    arena.close();
  }

  @Benchmark
  public void forward() {
    for (int h = 0; h < HEADS; h++) {
      kernel.forward(o[h], null, q[h], k[h], v[h], g[h], logLambda[h], null, tokens);
    }
  }

  @Benchmark
  public void forwardBackward() {
    for (int h = 0; h < HEADS; h++) {
      // Training keeps forward's chunk states for backward (ChunkStates), as the anchor's
      // autograd keeps its activations.
      kernel.forward(o[h], null, q[h], k[h], v[h], g[h], logLambda[h], null, tokens, cache[h]);
      kernel.backward(
          dq[h],
          dk[h],
          dv[h],
          dg[h],
          null,
          dO[h],
          q[h],
          k[h],
          v[h],
          g[h],
          logLambda[h],
          null,
          null,
          tokens,
          cache[h]);
    }
  }
}
