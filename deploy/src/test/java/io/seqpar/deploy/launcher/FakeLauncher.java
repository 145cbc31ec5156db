package io.seqpar.deploy.launcher;

import java.nio.file.Path;
import java.util.List;

/**
 * A test-only launcher process: a {@link LocalCluster} of FakeRank children under a {@link
 * GroupSupervisor}, exiting with the outcome's code, so tests can signal a real launcher. Args:
 * {@code RUNS_DIR TRAP_SIGNALS(true|false) WORKERS WORKER_OP...}; the coordinator's ops come from
 * {@code FAKE_COORD_OPS} (comma-separated).
 */
public final class FakeLauncher {
  private FakeLauncher() {}

  public static void main(final String[] args) throws Exception {
    final Path runs = Path.of(args[0]);
    final boolean trap = Boolean.parseBoolean(args[1]);
    final int workers = Integer.parseInt(args[2]);
    final List<String> workerOps = List.of(args).subList(3, args.length);
    final RunDirectory run = RunDirectory.create(runs, RunId.next());
    System.out.println("run dir " + run.root() + " shm " + run.shmRoot());
    final GroupContext ctx =
        new GroupContext().logDir(run.logs()).scratchRoot(run.shmRoot()).graceMs(3_000);
    final LocalCluster cluster =
        new LocalCluster(
            run,
            workers,
            LocalCluster.newToken(),
            new LocalCluster.Commands() {
              @Override
              public List<String> coordinator() {
                final String ops = System.getenv("FAKE_COORD_OPS");
                return ProcessGroupTest.javaCommand(
                    ops != null
                        ? List.of(ops.split(","))
                        : List.of("ready:40000", "print:coord up", "sleep:600000"));
              }

              @Override
              public List<String> worker(final int rank) {
                return ProcessGroupTest.javaCommand(workerOps);
              }
            },
            60_000,
            1);
    final GroupOutcome o =
        new GroupSupervisor(ctx, 0, System.out, trap, "fake launcher")
            .run(
                (g, restart) -> {
                  cluster.launch(g, restart);
                  for (final ChildProcess c : g.children()) {
                    System.out.println("started " + c.label() + " pid=" + c.pid());
                  }
                  System.out.println("all started");
                });
    System.out.println("outcome " + o.status() + " exit " + o.exitCode());
    System.out.flush();
    System.exit(o.exitCode());
  }
}
