package io.seqpar.deploy.launcher;

import io.seqpar.InvalidInputException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How to start one child: who it is (role, rank, label), the command line, the extra environment
 * (added to the launcher's own), the working directory, and the scratch directories the launcher
 * removes at teardown (its Aeron directory).
 *
 * @param role coordinator or worker
 * @param rank the worker rank (0 for the coordinator)
 * @param label the log prefix and log file name, e.g. {@code coord}, {@code w03}
 * @param command the command line, program first
 * @param env variables added to the inherited environment
 * @param workDir the working directory, or null for the launcher's
 * @param scratchDirs directories deleted when the group is torn down (and by the shutdown hook)
 * @param leader whether this child's exit 0 means the job is done (the coordinator); see {@link
 *     GroupContext#earlyExitIsFailure}
 */
public record ChildSpec(
    Role role,
    int rank,
    String label,
    List<String> command,
    Map<String, String> env,
    Path workDir,
    List<Path> scratchDirs,
    boolean leader) {

  public ChildSpec {
    if (role == null || label == null || label.isBlank()) {
      throw new InvalidInputException("child spec: role and label are required, got role=" + role);
    }
    if (rank < 0) {
      throw new InvalidInputException("child spec " + label + ": rank=" + rank + " must be >= 0");
    }
    if (command == null || command.isEmpty()) {
      throw new InvalidInputException("child spec " + label + ": empty command line");
    }
    command = List.copyOf(command);
    env = env == null ? Map.of() : Map.copyOf(env);
    scratchDirs = scratchDirs == null ? List.of() : List.copyOf(scratchDirs);
  }

  /** A spec with the standard label for the role and rank in a group of {@code workers}. */
  public static ChildSpec of(
      final Role role, final int rank, final int workers, final List<String> command) {
    return new ChildSpec(
        role,
        rank,
        role.label(rank, workers),
        command,
        Map.of(),
        null,
        List.of(),
        role == Role.COORDINATOR);
  }

  public ChildSpec withEnv(final Map<String, String> moreEnv) {
    final java.util.HashMap<String, String> merged = new java.util.HashMap<>(env);
    merged.putAll(moreEnv);
    return new ChildSpec(role, rank, label, command, merged, workDir, scratchDirs, leader);
  }

  public ChildSpec withWorkDir(final Path dir) {
    return new ChildSpec(role, rank, label, command, env, dir, scratchDirs, leader);
  }

  public ChildSpec withScratchDir(final Path dir) {
    final java.util.ArrayList<Path> dirs = new java.util.ArrayList<>(scratchDirs);
    dirs.add(dir);
    return new ChildSpec(role, rank, label, command, env, workDir, dirs, leader);
  }

  public ChildSpec withLeader(final boolean isLeader) {
    return new ChildSpec(role, rank, label, command, env, workDir, scratchDirs, isLeader);
  }
}
