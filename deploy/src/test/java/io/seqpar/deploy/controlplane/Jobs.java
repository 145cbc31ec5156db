package io.seqpar.deploy.controlplane;

import io.seqpar.coordinator.job.JobSpecParser;
import io.seqpar.proto.v1.JobSpec;

/** Job specs for the end-to-end tests, written as the JSON a user would pass to --job-json. */
final class Jobs {
  private Jobs() {}

  static String json(
      final int worldSize, final long steps, final long intervalMs, final long timeoutMs) {
    return ("{\"name\":\"e2e\",\"model\":{\"layers\":1,\"d_model\":32,\"heads\":1,\"dk\":16,\"dv\":16,"
            + "\"mlp_ratio\":2,\"vocab\":64,\"decay_mode\":\"plain\"},"
            + "\"parallel\":{\"world_size\":%d,\"strategy\":\"allscan\"},\"seq_len\":1001,\"chunk\":8,"
            + "\"data\":{\"synthetic\":{},\"batch\":1},\"optimizer\":{\"lr\":0.001},\"steps\":%d,"
            + "\"control\":{\"rendezvous_timeout_ms\":60000,\"heartbeat_interval_ms\":%d,\"heartbeat_timeout_ms\":%d}}")
        .formatted(worldSize, steps, intervalMs, timeoutMs);
  }

  static JobSpec spec(
      final int worldSize, final long steps, final long intervalMs, final long timeoutMs) {
    return JobSpecParser.parseJson(json(worldSize, steps, intervalMs, timeoutMs), "test");
  }
}
