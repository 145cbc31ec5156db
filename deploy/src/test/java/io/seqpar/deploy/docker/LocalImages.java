package io.seqpar.deploy.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;

/**
 * The registry-free images of {@code deploy/docker/build-local-image.sh}, for the container tests:
 * skips (printing why) only when no Docker engine answers; otherwise builds the images (a no-op
 * when their inputs are unchanged) and fails if that fails.
 */
final class LocalImages {
  static final String SEQPAR = "seqpar:local";
  static final String TINY = "seqpar-tiny:local";

  private static volatile boolean built;

  private LocalImages() {}

  /** Aborts the test unless an engine runs; then makes sure both images are current. */
  static synchronized void require() throws IOException, InterruptedException {
    final String why = engineProblem();
    if (why != null) {
      System.out.println("container tests skipped: " + why);
      Assumptions.abort(why);
    }
    if (!built) {
      final Process p =
          new ProcessBuilder(Path.of("docker/build-local-image.sh").toAbsolutePath().toString())
              .redirectErrorStream(true)
              .start();
      final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException("build-local-image.sh failed:\n" + out);
      }
      System.out.print(
          out.lines()
              .filter(l -> l.startsWith("build-local-image"))
              .map(l -> l + "\n")
              .reduce("", String::concat));
      built = true;
    }
  }

  /** Why no container can run here, or null if an engine answers {@code docker info}. */
  private static String engineProblem() throws InterruptedException {
    try {
      final Process p =
          new ProcessBuilder("docker", "info", "--format", "{{.ServerVersion}}")
              .redirectErrorStream(true)
              .start();
      final String out =
          new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "`docker info` did not answer in 30 s";
      }
      return p.exitValue() == 0 ? null : "no Docker engine: " + out;
    } catch (final IOException e) {
      return "no docker CLI: " + e.getMessage();
    }
  }

  /** Output and exit code of a container that runs to completion. */
  record Result(int exitCode, String logs) {}

  /** Runs {@code image} with {@code args} to completion (bounded), then removes it. */
  static Result runToCompletion(final String image, final List<String> env, final String... args)
      throws InterruptedException {
    final DockerClient docker = DockerClientFactory.instance().client();
    final String id = docker.createContainerCmd(image).withCmd(args).withEnv(env).exec().getId();
    try {
      docker.startContainerCmd(id).exec();
      final int code = docker.waitContainerCmd(id).start().awaitStatusCode(120, TimeUnit.SECONDS);
      final StringBuilder logs = new StringBuilder();
      docker
          .logContainerCmd(id)
          .withStdOut(true)
          .withStdErr(true)
          .exec(
              new ResultCallback.Adapter<Frame>() {
                @Override
                public void onNext(final Frame f) {
                  logs.append(new String(f.getPayload(), StandardCharsets.UTF_8));
                }
              })
          .awaitCompletion(30, TimeUnit.SECONDS);
      return new Result(code, logs.toString());
    } finally {
      docker.removeContainerCmd(id).withForce(true).exec();
    }
  }
}
