package io.seqpar.deploy.cli;

import io.seqpar.coordinator.job.JobSpecParser;
import io.seqpar.proto.v1.JobSpec;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** {@code --job FILE | --job-json JSON}: where a job spec comes from (mutually exclusive). */
public final class JobSpecOptions {
  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Source source;

  static final class Source {
    @Option(
        names = "--job",
        paramLabel = "FILE",
        description = "Job spec file: YAML, or JSON if it ends in .json.")
    Path file;

    @Option(names = "--job-json", paramLabel = "JSON", description = "Job spec as inline JSON.")
    String json;
  }

  /** The parsed (not yet validated) spec, or null if neither option was given. */
  JobSpec spec() {
    if (source == null) {
      return null;
    }
    return source.file != null
        ? JobSpecParser.parseFile(source.file)
        : JobSpecParser.parseJson(source.json, "--job-json");
  }
}
