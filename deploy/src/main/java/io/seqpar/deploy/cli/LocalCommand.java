package io.seqpar.deploy.cli;

import io.seqpar.InvalidInputException;
import io.seqpar.collectives.transport.CoreBinding;
import io.seqpar.collectives.transport.EmbeddedDriver;
import io.seqpar.coordinator.job.JobSpecParser;
import io.seqpar.coordinator.job.JobSpecValidator;
import io.seqpar.deploy.launcher.GroupContext;
import io.seqpar.deploy.launcher.GroupOutcome;
import io.seqpar.deploy.launcher.GroupSupervisor;
import io.seqpar.deploy.launcher.JavaCommand;
import io.seqpar.deploy.launcher.LocalCluster;
import io.seqpar.deploy.launcher.LossCurve;
import io.seqpar.deploy.launcher.MetricsLog;
import io.seqpar.deploy.launcher.Progress;
import io.seqpar.deploy.launcher.Role;
import io.seqpar.deploy.launcher.RunDirectory;
import io.seqpar.deploy.launcher.RunId;
import io.seqpar.deploy.launcher.RunSummary;
import io.seqpar.deploy.launcher.StepReport;
import io.seqpar.proto.v1.JobSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code seqpar local} (alias {@code seqpar run}): the job on this host as real processes — one
 * coordinator JVM and N worker JVMs with the same {@code SEQPAR_*} contract as a Kubernetes job,
 * supervised fail-fast ({@link GroupSupervisor}), with logs, metrics, checkpoints and the final
 * weights under {@code runs/<run-id>/}, and a summary plus a loss-curve PNG at the end. With no job
 * given it runs the embedded default job ({@link DefaultJob}).
 */
@Command(
    name = "local",
    aliases = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Run a training job on this host: a coordinator and N worker processes.",
      "'seqpar run' is the same command: with no --job it trains the embedded default job."
    })
public final class LocalCommand implements Callable<Integer> {
  @Option(
      names = "--workers",
      paramLabel = "N",
      description = "Worker processes (default: the job's world size, else 4).")
  Integer workers;

  @Option(
      names = "--transport",
      defaultValue = "ipc",
      description = "Data plane: ipc (one shared Aeron driver) or udp (one per worker).")
  String transport;

  @Option(
      names = "--runs-dir",
      paramLabel = "DIR",
      defaultValue = "runs",
      description = "Where run directories are created (default: ${DEFAULT-VALUE}).")
  Path runsDir;

  @Option(
      names = "--ready-timeout-ms",
      paramLabel = "MS",
      defaultValue = "60000",
      description = "How long the coordinator may take to start (default: ${DEFAULT-VALUE}).")
  long readyTimeoutMs;

  @Mixin JobSpecOptions job;
  @Mixin JobFlags flags;
  @Mixin LauncherOptions launcher;

  @Override
  public Integer call() throws Exception {
    final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    final PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
    if (!transport.equals("ipc") && !transport.equals("udp")) {
      throw new InvalidInputException(
          "--transport: '" + transport + "' is not allowed (allowed: ipc|udp)");
    }
    // Everything the user gave is checked before any directory or process exists.
    CoreBinding.enabled(EnvSupport.variable(CoreBinding.ENV)); // a bad value is a usage error
    final JobSpec fromFile = job.spec();
    final int n =
        workers != null
            ? workers
            : (fromFile != null && fromFile.getParallel().getWorldSize() > 0
                ? fromFile.getParallel().getWorldSize()
                : DefaultJob.WORKERS);
    if (n < 1 || n > JobSpecValidator.MAX_WORLD_SIZE) {
      throw new InvalidInputException(
          "--workers: "
              + n
              + " is not allowed (allowed: 1.."
              + JobSpecValidator.MAX_WORLD_SIZE
              + ")");
    }
    JobSpec spec = flags.applyTo(fromFile != null ? fromFile : DefaultJob.spec(n));
    spec = spec.toBuilder().setParallel(spec.getParallel().toBuilder().setWorldSize(n)).build();
    final JobSpec.Builder check = spec.toBuilder();
    if (check.getCheckpoint().getDir().isBlank()) {
      // The run directory does not exist yet; its checkpoints/ will be the default.
      check.getCheckpointBuilder().setDir(runsDir.resolve("checkpoints").toString());
    }
    new JobSpecValidator().conclude(check.build());

    final RunDirectory run = RunDirectory.create(runsDir, RunId.next());
    final JobSpec.Builder b = spec.toBuilder();
    if (b.getCheckpoint().getDir().isBlank()) {
      b.getCheckpointBuilder().setDir(run.checkpoints().toAbsolutePath().toString());
    }
    final Path defaultWeights = run.root().resolve("final.safetensors").toAbsolutePath();
    if (b.getWeights().getSave().isBlank()) {
      b.getWeightsBuilder().setSave(defaultWeights.toString());
    }
    spec = new JobSpecValidator().conclude(b.build());
    Files.writeString(run.jobSpec(), JobSpecParser.toJson(spec), StandardCharsets.UTF_8);
    out.println(
        "seqpar "
            + (spec.getName().isEmpty() ? "local" : spec.getName())
            + ": "
            + n
            + " workers, T="
            + spec.getSeqLen()
            + ", "
            + spec.getModel().getDecayMode()
            + " "
            + spec.getModel().getLayers()
            + "x"
            + spec.getModel().getDModel()
            + ", "
            + spec.getParallel().getStrategy()
            + " over aeron-"
            + transport
            + ", "
            + spec.getSteps()
            + " steps; run directory "
            + run.root());

    final EmbeddedDriver driver =
        transport.equals("ipc")
            // Beside, not under, the children's scratch root: the group removes that root after
            // every attempt, and the driver must outlive restarts.
            ? EmbeddedDriver.launch(run.shmRoot() + "-driver", n)
            : null;
    final Progress progress = Progress.forConsole(out);
    final long t0 = System.nanoTime();
    final GroupOutcome outcome;
    try {
      final GroupContext ctx =
          launcher
              .applyTo(new GroupContext())
              .logDir(run.logs())
              .scratchRoot(run.shmRoot())
              .lineListener(
                  (child, line) -> {
                    if (child.role() == Role.COORDINATOR) {
                      StepReport.parse(line).ifPresent(progress::report);
                    }
                  });
      final int threads = JavaCommand.computeThreadsPerProcess(n + 1);
      final String jobFile = run.jobSpec().toAbsolutePath().toString();
      final String metrics = run.metrics().toAbsolutePath().toString();
      final String driverDir = driver == null ? null : driver.aeronDirectoryName();
      final LocalCluster cluster =
          new LocalCluster(
              run,
              n,
              LocalCluster.newToken(),
              new LocalCluster.Commands() {
                @Override
                public List<String> coordinator() {
                  return seqpar(
                      threads,
                      List.of(
                          "coordinator",
                          "--job",
                          jobFile,
                          "--port",
                          "0",
                          "--metrics-jsonl",
                          metrics));
                }

                @Override
                public List<String> worker(final int rank) {
                  final List<String> args = new ArrayList<>(List.of("worker"));
                  args.add("--transport=" + transport);
                  if (driverDir != null) {
                    args.add("--aeron-dir=" + driverDir);
                  }
                  return seqpar(threads, args);
                }
              },
              readyTimeoutMs,
              threads);
      outcome =
          new GroupSupervisor(ctx, launcher.maxRestarts(), err, true, "seqpar local").run(cluster);
    } finally {
      progress.finish();
      if (driver != null) {
        driver.close();
      }
      run.removeAeronDirs();
    }
    if (outcome.succeeded()) {
      summarize(run, spec, Duration.ofNanos(System.nanoTime() - t0), out);
    } else {
      err.println("seqpar local: failed; logs in " + run.logs());
    }
    return outcome.exitCode();
  }

  private static List<String> seqpar(final int threads, final List<String> args) {
    return new JavaCommand()
        .jvmFlags(JavaCommand.SEQPAR_JVM_FLAGS)
        .activeProcessors(threads)
        .mainClass(SeqparMain.class.getName())
        .args(args)
        .build();
  }

  private static void summarize(
      final RunDirectory run, final JobSpec spec, final Duration wall, final PrintStream out)
      throws IOException {
    final List<MetricsLog.Step> steps = MetricsLog.read(run.metrics());
    if (steps.isEmpty()) {
      out.println("summary: no step metrics in " + run.metrics());
      return;
    }
    long tokens = 0;
    double stepSec = 0;
    double exposed = 0;
    long bytes = 0;
    final Map<String, Double> coll = new TreeMap<>();
    for (final MetricsLog.Step s : steps) {
      tokens += s.tokens();
      stepSec += s.seconds();
      exposed += s.exposedSeconds();
      bytes += s.bytes();
      s.collectiveSeconds().forEach((k, v) -> coll.merge(k, v, Double::sum));
    }
    final Path png = run.root().resolve("loss.png");
    LossCurve.write(steps, spec.getName() + " — loss per step", png);
    final Path weights =
        spec.getWeights().getSave().isBlank() ? null : Path.of(spec.getWeights().getSave());
    new RunSummary(
            steps.size(),
            tokens,
            steps.get(0).loss(),
            steps.get(steps.size() - 1).loss(),
            wall,
            coll,
            stepSec > 0 ? exposed / stepSec : 0,
            bytes / steps.size(),
            run,
            weights != null && Files.exists(weights) ? weights : null)
        .print(out);
    out.println("  loss curve   " + png);
  }
}
