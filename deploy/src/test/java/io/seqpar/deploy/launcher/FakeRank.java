package io.seqpar.deploy.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * A test-only child program that does what its arguments say, in order, so tests can stage real
 * failures: {@code print:TEXT}, {@code lines:N}, {@code env:NAME} (prints NAME=value), {@code
 * sleep:MS}, {@code exit:N}, {@code ignore-term}, {@code ready:PORT} (writes the ready file named
 * by SEQPAR_READY_FILE), {@code grandchild:PIDFILE} (spawns a sleeping grandchild sharing this
 * output and writes its pid), {@code exit-if-restart-below:K:CODE}, {@code touch:FILE}.
 */
public final class FakeRank {
  private FakeRank() {}

  public static void main(final String[] args) throws Exception {
    for (final String a : args) {
      final int colon = a.indexOf(':');
      final String op = colon < 0 ? a : a.substring(0, colon);
      final String arg = colon < 0 ? "" : a.substring(colon + 1);
      switch (op) {
        case "print" -> System.out.println(arg);
        case "lines" -> {
          for (int i = 0; i < Integer.parseInt(arg); i++) {
            System.out.println("line " + i);
          }
        }
        case "env" -> System.out.println(arg + "=" + System.getenv(arg));
        case "sleep" -> Thread.sleep(Long.parseLong(arg));
        case "exit" -> exit(Integer.parseInt(arg));
        case "ignore-term" -> {
          // Traps INT and TERM alike; the handler only prints, so the process stays up.
          LauncherSignals.install(sig -> System.out.println("ignoring SIG" + sig.name()));
          System.out.println("SIGTERM ignored from now on");
        }
        case "ready" -> {
          ReadyFile.write(Path.of(System.getenv(EnvContract.READY_FILE)), Integer.parseInt(arg));
          System.out.println("ready on port " + arg);
        }
        case "grandchild" -> spawnGrandchild(Path.of(arg));
        case "touch" -> Files.writeString(Path.of(arg), "done\n");
        case "exit-if-restart-below" -> {
          final String[] kc = arg.split(":");
          final int restart = Integer.parseInt(System.getenv(EnvContract.RESTART_COUNT));
          if (restart < Integer.parseInt(kc[0])) {
            System.out.println("failing on restart " + restart);
            exit(Integer.parseInt(kc[1]));
          }
        }
        default -> throw new IllegalArgumentException("FakeRank: unknown op '" + a + "'");
      }
      System.out.flush();
    }
  }

  private static void exit(final int code) {
    System.out.flush();
    System.exit(code);
  }

  private static void spawnGrandchild(final Path pidFile) throws IOException {
    final List<String> cmd =
        ProcessGroupTest.javaCommand(List.of("print:grandchild up", "sleep:600000"));
    final Process p = new ProcessBuilder(cmd).inheritIO().start();
    final Path tmp = pidFile.resolveSibling(pidFile.getFileName() + ".tmp");
    Files.writeString(tmp, Long.toString(p.pid()));
    Files.move(tmp, pidFile, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("grandchild pid=" + p.pid());
  }
}
