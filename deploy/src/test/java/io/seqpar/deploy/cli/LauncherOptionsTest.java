package io.seqpar.deploy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.deploy.launcher.GroupContext;
import io.seqpar.deploy.launcher.Role;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Timeout(30)
class LauncherOptionsTest {
  @Command(name = "probe")
  static final class Probe implements Runnable {
    @Mixin LauncherOptions options;

    @Override
    public void run() {}
  }

  static LauncherOptions parse(final String... args) {
    final Probe p = new Probe();
    new CommandLine(p).parseArgs(args);
    return p.options;
  }

  @Test
  void flagsMapOntoTheGroupContext() {
    final LauncherOptions o = parse("--max-restarts", "2", "--grace-ms", "500", "--ranks", "0,3");
    assertEquals(2, o.maxRestarts());
    final GroupContext ctx = o.applyTo(new GroupContext().logDir(Path.of("logs"))).conclude();
    assertEquals(500, ctx.graceMs());
    assertTrue(ctx.consoleFilter().shows(Role.WORKER, 3));
    assertFalse(ctx.consoleFilter().shows(Role.WORKER, 1));
    assertTrue(ctx.consoleFilter().shows(Role.COORDINATOR, 0));
    assertFalse(parse("--quiet").consoleFilter().shows(Role.COORDINATOR, 0));
  }

  @Test
  void defaultsAreTenSecondsGraceAndNoRestarts() {
    final LauncherOptions o = parse();
    assertEquals(0, o.maxRestarts());
    assertEquals(10_000, o.applyTo(new GroupContext()).graceMs());
  }

  @Test
  void aBadValueIsAUsageError() {
    final Probe p = new Probe();
    final CommandLine cl = new CommandLine(p);
    cl.setErr(new java.io.PrintWriter(new java.io.StringWriter()));
    assertEquals(ExitCodes.USAGE, cl.execute("--grace-ms", "soon"));
  }
}
