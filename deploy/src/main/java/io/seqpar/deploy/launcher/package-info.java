/**
 * The local multi-process launcher behind {@code seqpar local} and {@code seqpar run}: real child
 * processes with the Kubernetes env contract, fail-fast supervision and no orphans.
 *
 * <p>How a command wires it (the coordinator and worker programs plug in through {@link
 * io.seqpar.deploy.launcher.LocalCluster.Commands}):
 *
 * <pre>{@code
 * RunDirectory run = RunDirectory.create(Path.of("runs"), RunId.next());   // runs/<id>/{logs,...}
 * // write the job spec to run.jobSpec()
 * Progress progress = Progress.forConsole(out);
 * GroupContext ctx = options.applyTo(new GroupContext())                    // LauncherOptions mixin
 *     .logDir(run.logs())
 *     .scratchRoot(run.shmRoot())                                           // /dev/shm/seqpar-<id>
 *     .doneFile(run.root().resolve("done"))                                 // optional, see below
 *     .lineListener((spec, line) -> {
 *       if (spec.role() == Role.COORDINATOR) StepReport.parse(line).ifPresent(progress::report);
 *     });
 * int threads = JavaCommand.computeThreadsPerProcess(workers + 1);
 * LocalCluster cluster = new LocalCluster(run, workers, LocalCluster.newToken(), new Commands() {
 *   public List<String> coordinator() {
 *     return new JavaCommand().jvmFlags(JavaCommand.SEQPAR_JVM_FLAGS).activeProcessors(threads)
 *         .mainClass("io.seqpar.coordinator.CoordinatorMain").args(jobArgs).build();
 *   }
 *   public List<String> worker(int rank) { ... "io.seqpar.worker.WorkerMain" ... }
 * }, 60_000, threads);
 * GroupOutcome o = new GroupSupervisor(ctx, options.maxRestarts(), err, true, "seqpar local")
 *     .run(cluster);                       // prints the root-cause block of every failed attempt
 * progress.finish();
 * return o.exitCode();                     // child's code, 128+signal, 1, 130 (SIGINT), 143 (SIGTERM)
 * }</pre>
 *
 * <p>What the children must do: read the {@link io.seqpar.deploy.launcher.EnvContract} variables;
 * the coordinator binds port 0 and writes {@code {"port": N}} to {@code SEQPAR_READY_FILE} with
 * {@link io.seqpar.deploy.launcher.ReadyFile#write} semantics (temp + atomic rename); use {@code
 * SEQPAR_AERON_DIR} as {@code aeron.dir}; resume from {@code runs/<id>/checkpoints} when {@code
 * SEQPAR_RESTART_COUNT > 0}; print step lines in the {@link io.seqpar.deploy.launcher.StepReport}
 * format; optionally write the done file before workers are told to exit (then a worker's early
 * exit 0 fails the run at once instead of after {@code drainMs}); and exit if {@code
 * SEQPAR_LAUNCHER_PID} disappears (the one case, launcher SIGKILL, no hook can cover).
 */
package io.seqpar.deploy.launcher;
