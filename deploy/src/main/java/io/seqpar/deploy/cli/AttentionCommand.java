package io.seqpar.deploy.cli;

import io.seqpar.collectives.ScanShape;
import io.seqpar.tensor.Npy;
import io.seqpar.worker.attention.AttentionInputs;
import io.seqpar.worker.attention.AttentionOutputs;
import io.seqpar.worker.attention.LinearAttentionRunner;
import io.seqpar.worker.kernel.DecayMode;
import io.seqpar.worker.sp.SequenceParallelAttention;
import io.seqpar.worker.sp.SoftmaxAttentionRunner;
import io.seqpar.worker.sp.SoftmaxStrategy;
import io.seqpar.worker.sp.SpAttentionRunner;
import io.seqpar.worker.sp.SpCostModel;
import io.seqpar.worker.sp.SpProcessRunner;
import io.seqpar.worker.sp.SpStrategy;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code seqpar attention}: runs causal linear attention forward and backward on tensors from disk
 * and writes the outputs and gradients, named as the oracle names them. Without {@code --inputs} it
 * runs a built-in seeded GLA problem, so the command works on embedded defaults.
 */
@Command(
    name = "attention",
    mixinStandardHelpOptions = true,
    description = {
      "Run the linear-attention operator (forward + backward) on .npy tensors.",
      "Reads q k v dO (+ decay.npy -> const_decay, g.npy -> gla) from --inputs and writes",
      "o S_T dq dk dv (+ dg) as float32 .npy files into --out.",
      "With --ranks P the sequence is split contiguously over P ranks (threads over the",
      "in-memory transport, or real processes over Aeron IPC/UDP) exchanging states by",
      "--strategy; the outputs equal the single-rank ones up to float32 rounding.",
      "With --softmax it runs causal softmax attention instead (scale dk^-1/2, diagonal",
      "included, loss sum(dO*o)) on q k v dO and writes o dq dk dv; --strategy is then",
      "ring|ring-zigzag|allgather-kv over --ranks threads (in-memory transport)."
    })
public final class AttentionCommand implements Callable<Integer> {
  /** Largest chunk accepted; the C×C score workspace grows quadratically. */
  static final int MAX_CHUNK = 4096;

  @Spec CommandSpec spec;

  @Option(
      names = "--inputs",
      paramLabel = "DIR",
      description =
          "Directory with q.npy k.npy v.npy dO.npy [decay.npy | g.npy]."
              + " Default: a built-in seeded GLA problem (B=1, H=2, T=4096, dk=dv=64).")
  Path inputs;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      defaultValue = "runs/attention",
      description = "Where to write the results (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--chunk",
      paramLabel = "C",
      defaultValue = "64",
      description = "Chunk size, 1..4096; need not divide T (default: ${DEFAULT-VALUE}).")
  int chunk;

  @Option(
      names = "--ranks",
      paramLabel = "P",
      defaultValue = "1",
      description = "Sequence-parallel ranks, 1..256 (default: ${DEFAULT-VALUE}).")
  int ranks;

  @Option(
      names = "--strategy",
      paramLabel = "S",
      description =
          "allscan|allgather|chain|tree|auto (default: allscan); with --softmax"
              + " ring|ring-zigzag|allgather-kv (default: ring).")
  String strategy;

  @Option(
      names = "--softmax",
      description = "Run causal softmax attention (ring / AllGather-KV) instead of linear.")
  boolean softmax;

  @Option(
      names = "--blocks",
      paramLabel = "K",
      defaultValue = "0",
      description =
          "All-Scan row blocks; 0 = chosen from the state size (default: ${DEFAULT-VALUE}).")
  int blocks;

  @Option(
      names = "--transport",
      paramLabel = "T",
      defaultValue = "inmem",
      description =
          "inmem (threads) | ipc | udp (processes over Aeron) (default: ${DEFAULT-VALUE}).")
  String transport;

  @Option(
      names = "--calibration",
      paramLabel = "FILE",
      description =
          "α–β calibration for --strategy auto (from seqpar bench collectives"
              + " --op chain --calibration-out FILE); default: the dev machine's IPC figures.")
  Path calibration;

  @Option(
      names = "--timeout-ms",
      paramLabel = "MS",
      defaultValue = "30000",
      description = "Deadline of every collective wait (default: ${DEFAULT-VALUE}).")
  long timeoutMs;

  @Override
  public Integer call() {
    if (chunk < 1 || chunk > MAX_CHUNK) {
      throw new ParameterException(
          spec.commandLine(),
          "--chunk: " + chunk + " is out of range (allowed: 1.." + MAX_CHUNK + ")");
    }
    if (ranks < 1 || ranks > 256) {
      throw new ParameterException(
          spec.commandLine(), "--ranks: " + ranks + " is out of range (allowed: 1..256)");
    }
    if (softmax) {
      return callSoftmax();
    }
    if (strategy == null) {
      strategy = "allscan";
    }
    final SpStrategy sp;
    try {
      sp = SpStrategy.fromId(strategy);
    } catch (final IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--strategy: " + e.getMessage());
    }
    if (!List.of("inmem", "ipc", "udp").contains(transport)) {
      throw new ParameterException(
          spec.commandLine(), "--transport: '" + transport + "' (allowed: inmem, ipc, udp)");
    }
    if (blocks < 0) {
      throw new ParameterException(
          spec.commandLine(), "--blocks: " + blocks + " (allowed: 0 for automatic, or >= 1)");
    }
    if (timeoutMs < 1) {
      throw new ParameterException(
          spec.commandLine(), "--timeout-ms: " + timeoutMs + " (allowed: >= 1)");
    }
    if (!transport.equals("inmem") && inputs == null) {
      throw new ParameterException(
          spec.commandLine(),
          "--transport " + transport + " needs --inputs (rank processes read it)");
    }
    final PrintWriter o = spec.commandLine().getOut();
    try (AttentionInputs in = inputs == null ? builtInProblem() : AttentionInputs.load(inputs)) {
      o.printf(
          "attention: mode=%s B=%d H=%d T=%d dk=%d dv=%d chunk=%d (%s)%n",
          in.mode().id(),
          in.batch(),
          in.heads(),
          in.tokens(),
          in.dk(),
          in.dv(),
          chunk,
          inputs == null ? "built-in problem" : inputs);
      final long t0 = System.nanoTime();
      try (AttentionOutputs res = compute(in, sp)) {
        final double secs = (System.nanoTime() - t0) / 1e9;
        res.write(out);
        final long tokens = (long) in.batch() * in.tokens();
        o.printf(
            "forward+backward: %.3f s, %.0f tokens/s (%s; one call in a fresh JVM, JIT warm-up"
                + " included: bin/jmh LinearAttentionBench measures steady state)%n",
            secs,
            tokens / Math.max(secs, 1e-9),
            ranks == 1 ? "one thread" : ranks + " ranks, " + strategy + " over " + transport);
        o.printf("wrote %s to %s%n", String.join(" ", res.names()), out.toAbsolutePath());
      }
    }
    o.flush();
    return ExitCodes.OK;
  }

  /** {@code --softmax}: validate, run over {@code --ranks} threads, write o dq dk dv. */
  private Integer callSoftmax() {
    final SoftmaxStrategy s;
    try {
      s = SoftmaxStrategy.fromId(strategy == null ? "ring" : strategy);
    } catch (final IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--strategy: " + e.getMessage());
    }
    if (!transport.equals("inmem")) {
      throw new ParameterException(
          spec.commandLine(),
          "--transport: '"
              + transport
              + "' (allowed with --softmax: inmem; bench sp runs processes)");
    }
    if (timeoutMs < 1) {
      throw new ParameterException(
          spec.commandLine(), "--timeout-ms: " + timeoutMs + " (allowed: >= 1)");
    }
    final PrintWriter o = spec.commandLine().getOut();
    try (AttentionInputs in =
        inputs == null ? builtInSoftmaxProblem() : AttentionInputs.load(inputs)) {
      if (in.mode() != DecayMode.PLAIN) {
        throw new ParameterException(
            spec.commandLine(),
            "--softmax: "
                + inputs
                + " has "
                + (in.mode() == DecayMode.GLA ? "g.npy" : "decay.npy")
                + " (softmax attention takes q k v dO only)");
      }
      o.printf(
          "softmax attention: B=%d H=%d T=%d dk=%d dv=%d, %d rank(s), %s (%s)%n",
          in.batch(),
          in.heads(),
          in.tokens(),
          in.dk(),
          in.dv(),
          ranks,
          s.id(),
          inputs == null ? "built-in problem" : inputs);
      final long t0 = System.nanoTime();
      try (SoftmaxAttentionRunner.Result r =
          SoftmaxAttentionRunner.runInMemory(
              in, ranks, s, TimeUnit.MILLISECONDS.toNanos(timeoutMs))) {
        final double secs = (System.nanoTime() - t0) / 1e9;
        final java.util.List<String> names = List.of("o", "dq", "dk", "dv");
        java.nio.file.Files.createDirectories(out);
        for (final String n : names) {
          Npy.writeFloat32(out.resolve(n + ".npy"), r.outputs().view(n));
        }
        o.printf(
            "forward+backward: %.3f s (one call in a fresh JVM, JIT warm-up included)%n", secs);
        o.printf("wrote %s to %s%n", String.join(" ", names), out.toAbsolutePath());
      } catch (final java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot write results to " + out, e);
      }
    }
    o.flush();
    return ExitCodes.OK;
  }

  /** A seeded plain problem (B=1, H=2, T=2048, dk=dv=64) for --softmax without --inputs. */
  private static AttentionInputs builtInSoftmaxProblem() {
    final int h = 2;
    final int t = 2048;
    final int d = 64;
    final SplittableRandom rnd = new SplittableRandom(20261123L);
    final int n = h * t * d;
    return AttentionInputs.of(
        1,
        h,
        t,
        d,
        d,
        gaussian(rnd, n, 1f),
        gaussian(rnd, n, 1f),
        gaussian(rnd, n, 1f),
        gaussian(rnd, n, 1f),
        null,
        null);
  }

  private AttentionOutputs compute(final AttentionInputs in, final SpStrategy requested) {
    final long timeoutNs = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    SpStrategy sp = requested;
    if (requested == SpStrategy.AUTO) {
      final SpCostModel model =
          calibration == null ? SpCostModel.DEFAULT : SpCostModel.load(calibration);
      sp =
          SequenceParallelAttention.resolve(
              requested, ranks, new ScanShape(in.batch() * in.heads(), in.dk(), in.dv()), model);
      spec.commandLine()
          .getOut()
          .printf(
              "auto: %s (alpha=%.1f us, beta=%.3f ns/byte%s)%n",
              sp.id(),
              model.alphaNs() / 1e3,
              model.betaNsPerByte(),
              calibration == null ? ", defaults" : ", from " + calibration);
    }
    if (ranks == 1 && sp != SpStrategy.CHAIN) {
      return LinearAttentionRunner.run(in, chunk);
    }
    if (transport.equals("inmem")) {
      final SpAttentionRunner.Result r =
          SpAttentionRunner.runInMemory(in, chunk, ranks, sp, blocks, timeoutNs);
      return r.outputs();
    }
    return SpProcessRunner.run(inputs, chunk, ranks, sp, blocks, transport, timeoutNs);
  }

  /** A seeded GLA problem with realistic gates: g = logsigmoid(x)/16, x ~ N(0,1). */
  private static AttentionInputs builtInProblem() {
    final int b = 1;
    final int h = 2;
    final int t = 4096;
    final int d = 64;
    final SplittableRandom rnd = new SplittableRandom(20261122L);
    final int n = b * h * t * d;
    final float[] q = gaussian(rnd, n, 0.35f);
    final float[] k = gaussian(rnd, n, 0.35f);
    final float[] v = gaussian(rnd, n, 1f);
    final float[] dO = gaussian(rnd, n, 1f);
    final float[] g = new float[n];
    for (int i = 0; i < n; i++) {
      final double x = nextGaussian(rnd);
      g[i] = (float) (-Math.log1p(Math.exp(-x)) / 16.0);
    }
    return AttentionInputs.of(b, h, t, d, d, q, k, v, dO, null, g);
  }

  private static float[] gaussian(final SplittableRandom rnd, final int n, final float scale) {
    final float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (scale * nextGaussian(rnd));
    }
    return x;
  }

  private static double nextGaussian(final SplittableRandom rnd) {
    final double u = 1.0 - rnd.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * rnd.nextDouble());
  }
}
