package io.seqpar.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seqpar.InvalidInputException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SeqparContextTest {
  @Test
  void readsTheEnvContract() {
    final SeqparContext c =
        SeqparContext.fromEnv(
                Map.of(
                    "SEQPAR_ROLE",
                    "worker",
                    "SEQPAR_RANK",
                    "3",
                    "SEQPAR_WORLD_SIZE",
                    "8",
                    "SEQPAR_COORDINATOR_ADDR",
                    "seqpar-run-coordinator-0-0.seqpar-run",
                    "SEQPAR_COORDINATOR_PORT",
                    "7001",
                    "SEQPAR_TOKEN",
                    "s3cret"))
            .conclude();
    assertEquals(SeqparContext.Role.WORKER, c.role());
    assertEquals(3, c.rank());
    assertEquals(8, c.worldSize());
    assertEquals("seqpar-run-coordinator-0-0.seqpar-run", c.coordinatorAddr());
    assertEquals(7001, c.coordinatorPort());
    assertFalse(c.toString().contains("s3cret"), "token redacted: " + c);
  }

  @Test
  void defaultsAndFlagOverrides() {
    final SeqparContext c =
        SeqparContext.fromEnv(Map.of("SEQPAR_COORDINATOR_PORT", "7001"))
            .coordinatorPort(9000) // a flag wins over the environment
            .conclude();
    assertEquals("localhost", c.coordinatorAddr());
    assertEquals(9000, c.coordinatorPort());
    assertEquals(SeqparContext.NULL_RANK, c.rank());
  }

  @Test
  void invalidValuesNameTheVariable() {
    assertMessage("SEQPAR_ROLE", Map.of("SEQPAR_ROLE", "boss"));
    assertMessage("SEQPAR_RANK", Map.of("SEQPAR_RANK", "x"));
    assertMessage("SEQPAR_RANK", Map.of("SEQPAR_RANK", "8", "SEQPAR_WORLD_SIZE", "8"));
    assertMessage("SEQPAR_WORLD_SIZE", Map.of("SEQPAR_WORLD_SIZE", "-1"));
    assertMessage("SEQPAR_COORDINATOR_PORT", Map.of("SEQPAR_COORDINATOR_PORT", "70000"));
    assertMessage("SEQPAR_TOKEN", Map.of("SEQPAR_ROLE", "worker"));
  }

  private static void assertMessage(final String variable, final Map<String, String> env) {
    final InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> SeqparContext.fromEnv(env).conclude(),
            env.toString());
    assertTrue(e.getMessage().contains(variable), e.getMessage());
  }
}
