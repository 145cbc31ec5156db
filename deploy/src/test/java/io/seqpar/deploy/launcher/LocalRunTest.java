package io.seqpar.deploy.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.seqpar.checkpoint.CheckpointStore;
import io.seqpar.deploy.cli.SeqparMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code seqpar local} end to end with real processes: a coordinator JVM, N worker JVMs, Aeron
 * between them. Checks the summary and run directory, bitwise resume from a checkpoint (explicit
 * and by {@code --max-restarts} after a SIGKILLed worker), refusal of a corrupted checkpoint, fail
 * fast naming the killed rank, SIGINT, a bad job file, and that nothing is left behind.
 */
class LocalRunTest {
  /** A job small enough for a 2-core CI machine: 2 layers, D=32, T=384. */
  private static final List<String> TINY =
      List.of(
          "--layers=2",
          "--d-model=32",
          "--heads=2",
          "--seq-len=384",
          "--chunk=32",
          "--decay=gla",
          "--lr=0.01");

  @TempDir Path tmp;

  private final List<Process> launched = new ArrayList<>();

  @AfterEach
  void nothingLeft() throws Exception {
    launched.forEach(Process::destroyForcibly);
    LeakCheck.assertNoneLeft(tmp.toString(), List.of(), 15_000);
    final List<String> shm;
    try (Stream<Path> s = Files.list(Path.of("/dev/shm"))) {
      shm = s.map(p -> p.getFileName().toString()).toList();
    }
    // Run directories name their Aeron root /dev/shm/seqpar-<run-id>; none may survive.
    for (final Path run : runDirs()) {
      assertThat(shm).noneMatch(n -> n.contains(run.getFileName().toString()));
    }
  }

  /** A running {@code seqpar local} with its merged output. */
  private final class Local {
    final Process process;
    final List<String> out = new CopyOnWriteArrayList<>();
    final Thread reader;

    Local(final List<String> args) throws IOException {
      this(args, false);
    }

    Local(final List<String> args, final boolean defaultSigint) throws IOException {
      final List<String> all = new ArrayList<>(List.of("local", "--runs-dir", runs().toString()));
      all.addAll(args);
      final List<String> cmd = new ArrayList<>();
      if (defaultSigint) {
        cmd.addAll(
            List.of(
                "python3",
                "-c",
                "import os,signal,sys; signal.signal(signal.SIGINT, signal.SIG_DFL);"
                    + " os.execvp(sys.argv[1], sys.argv[1:])"));
      }
      cmd.addAll(
          new JavaCommand()
              .jvmFlags(JavaCommand.SEQPAR_JVM_FLAGS)
              .mainClass(SeqparMain.class.getName())
              .args(all)
              .build());
      process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      launched.add(process);
      reader =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try (BufferedReader r =
                        new BufferedReader(
                            new InputStreamReader(
                                process.getInputStream(), StandardCharsets.UTF_8))) {
                      for (String l; (l = r.readLine()) != null; ) {
                        out.add(l);
                      }
                    } catch (final IOException e) {
                      out.add("<" + e + ">");
                    }
                  });
    }

    int await(final long seconds) throws InterruptedException {
      assertThat(process.waitFor(seconds, TimeUnit.SECONDS))
          .as("seqpar local finished within %d s: %s", seconds, out)
          .isTrue();
      // The process is gone; its output ends at EOF, which the reader reaches promptly.
      assertThat(reader.join(java.time.Duration.ofSeconds(10))).as("output drained").isTrue();
      return process.exitValue();
    }

    boolean sawLine(final String prefix) {
      return out.stream().anyMatch(l -> l.startsWith(prefix));
    }

    String text() {
      return String.join("\n", out);
    }
  }

  private Path runs() {
    return tmp.resolve("runs");
  }

  private List<Path> runDirs() throws IOException {
    if (!Files.isDirectory(runs())) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(runs())) {
      return s.sorted().toList();
    }
  }

  private static List<String> args(final List<String> base, final String... more) {
    final List<String> a = new ArrayList<>(base);
    a.addAll(Arrays.asList(more));
    return a;
  }

  private static void waitUntil(final Local l, final String prefix, final long ms)
      throws InterruptedException {
    assertThat(ProcessGroupTest.waitFor(() -> l.sawLine(prefix) || !l.process.isAlive(), ms))
        .as("line starting with '%s' within %d ms: %s", prefix, ms, l.out)
        .isTrue();
    assertThat(l.process.isAlive()).as("still running: " + l.out).isTrue();
  }

  /** The pid of worker {@code rank} of this test's runs, from its environment. */
  private Optional<Long> workerPid(final int rank) {
    for (final long pid : LeakCheck.processesWithEnv(tmp.toString())) {
      try {
        final String env = Files.readString(Path.of("/proc/" + pid + "/environ"));
        if (env.contains("SEQPAR_ROLE=worker\0") && env.contains("SEQPAR_RANK=" + rank + "\0")) {
          return Optional.of(pid);
        }
      } catch (final IOException e) {
        // exited meanwhile
      }
    }
    return Optional.empty();
  }

  @Test
  @Timeout(240)
  void trainsPrintsTheSummaryAndLeavesTheRunDirectory() throws Exception {
    final Path grads = tmp.resolve("grads");
    final Local l =
        new Local(
            args(TINY, "--workers=3", "--steps=4", "--transport=udp", "--dump-grads=" + grads));
    assertThat(l.await(200)).as(l.text()).isZero();
    // Step 1's reduced gradients: one .npy per parameter plus the float64 loss.
    assertThat(grads.resolve("loss.npy")).isRegularFile();
    assertThat(grads.resolve("blocks.1.attn.wq.npy")).isRegularFile();
    try (Stream<Path> g = Files.list(grads)) {
      assertThat(g.count()).isGreaterThan(20);
    }
    assertThat(l.text()).contains("summary:", "loss ", "loss curve", "all 4 processes exited 0");
    final Path run = runDirs().getFirst();
    final byte[] png = Files.readAllBytes(run.resolve("loss.png"));
    assertThat(Arrays.copyOf(png, 4)).containsExactly(0x89, 'P', 'N', 'G');
    assertThat(run.resolve("final.safetensors")).isRegularFile();
    assertThat(MetricsLog.read(run.resolve("metrics.jsonl"))).hasSize(4);
    assertThat(run.resolve("logs/w02.log")).isRegularFile();
  }

  @Test
  @Timeout(400)
  void checkpointsResumeBitwiseAndACorruptedOneIsRefused() throws Exception {
    // Uninterrupted reference: 6 steps, checkpoints after steps 2, 4 and 6.
    final Path ref = tmp.resolve("ref.safetensors");
    final Path refCk = tmp.resolve("ref-ck");
    final List<String> job =
        args(TINY, "--workers=2", "--steps=6", "--checkpoint-every=2", "--seed=5");
    final Local u = new Local(args(job, "--checkpoint-dir=" + refCk, "--save=" + ref));
    assertThat(u.await(200)).as(u.text()).isZero();

    // A fresh run resumed from the step-2 checkpoint reaches step 6 with identical weights.
    final Path ck = tmp.resolve("ck");
    copyTree(refCk, ck);
    CheckpointStore.writeAtomically(
        ck.resolve(CheckpointStore.LATEST),
        (CheckpointStore.stepDirName(2) + "/" + CheckpointStore.MANIFEST + "\n")
            .getBytes(StandardCharsets.UTF_8));
    final Path resumed = tmp.resolve("resumed.safetensors");
    final Local r = new Local(args(job, "--checkpoint-dir=" + ck, "--resume", "--save=" + resumed));
    assertThat(r.await(200)).as(r.text()).isZero();
    assertThat(r.text()).contains("step 3/6").doesNotContain("step 1/6 ");
    assertThat(Files.readAllBytes(resumed)).isEqualTo(Files.readAllBytes(ref));

    // Flip one byte of the step-2 weights: the resume is refused naming the file and both hashes.
    final Path weights = ck.resolve(CheckpointStore.stepDirName(2)).resolve("weights.safetensors");
    final byte[] bytes = Files.readAllBytes(weights);
    bytes[bytes.length - 5] ^= 0x40;
    Files.write(weights, bytes);
    CheckpointStore.writeAtomically(
        ck.resolve(CheckpointStore.LATEST),
        (CheckpointStore.stepDirName(2) + "/" + CheckpointStore.MANIFEST + "\n")
            .getBytes(StandardCharsets.UTF_8));
    final Local bad =
        new Local(args(job, "--checkpoint-dir=" + ck, "--resume", "--save=" + tmp.resolve("x")));
    assertThat(bad.await(120)).as(bad.text()).isNotZero();
    assertThat(bad.text())
        .contains(weights.toString(), "is corrupted: sha256 ", "but the manifest recorded");
    assertThat(tmp.resolve("x")).doesNotExist();
  }

  @Test
  @Timeout(400)
  void aKilledWorkerFailsTheRunFastAndARestartResumesBitwise() throws Exception {
    final List<String> job = args(TINY, "--workers=3", "--checkpoint-every=2", "--seed=9");
    final Path ref = tmp.resolve("ref.safetensors");
    final Local u = new Local(args(job, "--steps=8", "--save=" + ref));
    assertThat(u.await(200)).as(u.text()).isZero();

    // Without restarts: SIGKILL worker 1 mid-run; the launcher fails fast and names it.
    final Local k = new Local(args(job, "--steps=400"));
    waitUntil(k, "[coord] step 3/", 150_000);
    final long victim = workerPid(1).orElseThrow();
    final long t0 = System.nanoTime();
    new ProcessBuilder("kill", "-KILL", Long.toString(victim)).start().waitFor();
    final int code = k.await(60);
    final double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(code).as(k.text()).isNotZero();
    // well inside heartbeat timeout (10 s) + grace (10 s) + 2 s: the launcher sees the exit at once
    assertThat(seconds).as("seconds from SIGKILL to launcher exit").isLessThan(15.0);
    assertThat(k.text()).contains("w01").containsPattern("(?i)signal 9|SIGKILL|137");

    // With --max-restarts 1: the group restarts from the last checkpoint and ends bitwise equal.
    final Path restarted = tmp.resolve("restarted.safetensors");
    final Local m = new Local(args(job, "--steps=8", "--max-restarts=1", "--save=" + restarted));
    waitUntil(m, "[coord] step 5/", 150_000);
    new ProcessBuilder("kill", "-KILL", Long.toString(workerPid(1).orElseThrow()))
        .start()
        .waitFor();
    assertThat(m.await(200)).as(m.text()).isZero();
    assertThat(m.text()).contains("restarting the whole group", "resumed from step-0000000");
    assertThat(Arrays.equals(Files.readAllBytes(restarted), Files.readAllBytes(ref)))
        .as(
            "restarted weights equal the uninterrupted run's; losses %s vs %s; output:%n%s",
            losses(runDirs().get(0)), losses(runDirs().get(2)), m.text())
        .isTrue();
  }

  private static List<Double> losses(final Path run) {
    return MetricsLog.read(run.resolve("metrics.jsonl")).stream()
        .map(MetricsLog.Step::loss)
        .toList();
  }

  @Test
  @Timeout(200)
  void sigintExits130AndTwoConcurrentRunsBothSucceed() throws Exception {
    final Local a = new Local(args(TINY, "--workers=2", "--steps=3"));
    final Local b = new Local(args(TINY, "--workers=2", "--steps=3", "--transport=udp"));
    assertThat(a.await(180)).as(a.text()).isZero();
    assertThat(b.await(180)).as(b.text()).isZero();

    // Started with SIGINT at its default disposition: a JVM launched from a background job
    // inherits SIG_IGN for SIGINT and would then never see Ctrl-C.
    final Local c = new Local(args(TINY, "--workers=2", "--steps=100000"), true);
    waitUntil(c, "[coord] step 1/", 150_000);
    new ProcessBuilder("kill", "-INT", Long.toString(c.process.pid())).start().waitFor();
    assertThat(c.await(60)).as(c.text()).isEqualTo(130);
  }

  @Test
  @Timeout(60)
  void aBadJobFileFailsBeforeAnyProcessStarts() throws Exception {
    final Path job = tmp.resolve("job.yaml");
    Files.writeString(job, "name: x\nsteps: 3\nmodel:\n  layerz: 2\n");
    final Local l = new Local(List.of("--job", job.toString()));
    assertThat(l.await(50)).isEqualTo(2);
    assertThat(l.text()).contains("layerz");
    assertThat(runDirs()).isEmpty();

    Files.writeString(job, "name: x\nsteps: many\n");
    final Local t = new Local(List.of("--job", job.toString()));
    assertThat(t.await(50)).isEqualTo(2);
    assertThat(t.text()).contains("steps");

    final Local v = new Local(List.of("--workers=2", "--d-model=0"));
    assertThat(v.await(50)).isEqualTo(2);
    assertThat(v.text()).contains("model.d_model");
    assertThat(runDirs()).isEmpty();
  }

  private static void copyTree(final Path from, final Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      s.forEach(
          p -> {
            try {
              final Path t = to.resolve(from.relativize(p).toString());
              if (Files.isDirectory(p)) {
                Files.createDirectories(t);
              } else {
                Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
              }
            } catch (final IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    }
  }
}
