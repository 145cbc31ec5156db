package io.seqpar.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.seqpar.coordinator.job.InvalidJobSpecException;
import io.seqpar.coordinator.job.JobSpecParser;
import io.seqpar.coordinator.job.JobSpecValidator;
import io.seqpar.coordinator.job.JobSpecViolation;
import io.seqpar.proto.v1.JobSpec;
import io.seqpar.proto.v1.SubmitJobRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JobSpecValidatorTest {
  private final JobSpecValidator validator = new JobSpecValidator();

  /** name, field that must be named, the broken spec. */
  static Stream<Arguments> invalidSpecs() {
    return Stream.of(
        bad(
            "negative layers",
            "model.layers",
            b -> b.setModel(b.getModel().toBuilder().setLayers(-1))),
        bad(
            "zero d_model",
            "model.d_model",
            b -> b.setModel(b.getModel().toBuilder().setDModel(0))),
        bad(
            "negative heads",
            "model.heads",
            b -> b.setModel(b.getModel().toBuilder().setHeads(-2))),
        bad("negative dk", "model.dk", b -> b.setModel(b.getModel().toBuilder().setDk(-32))),
        bad("zero dv", "model.dv", b -> b.setModel(b.getModel().toBuilder().setDv(0))),
        bad(
            "negative mlp ratio",
            "model.mlp_ratio",
            b -> b.setModel(b.getModel().toBuilder().setMlpRatio(-1))),
        bad(
            "NaN mlp ratio",
            "model.mlp_ratio",
            b -> b.setModel(b.getModel().toBuilder().setMlpRatio(Double.NaN))),
        bad("vocab 1", "model.vocab", b -> b.setModel(b.getModel().toBuilder().setVocab(1))),
        bad(
            "unknown decay",
            "model.decay_mode",
            b -> b.setModel(b.getModel().toBuilder().setDecayMode("exp"))),
        bad(
            "world size 0",
            "parallel.world_size",
            b -> b.setParallel(b.getParallel().toBuilder().setWorldSize(0))),
        bad(
            "world size too big",
            "parallel.world_size",
            b -> b.setParallel(b.getParallel().toBuilder().setWorldSize(5000))),
        bad(
            "unknown strategy",
            "parallel.strategy",
            b -> b.setParallel(b.getParallel().toBuilder().setStrategy("ring"))),
        bad(
            "more blocks than dk",
            "parallel.allscan_blocks",
            b -> b.setParallel(b.getParallel().toBuilder().setAllscanBlocks(33))),
        bad(
            "negative blocks",
            "parallel.allscan_blocks",
            b -> b.setParallel(b.getParallel().toBuilder().setAllscanBlocks(-1))),
        bad(
            "layer pattern with other letters",
            "model.layer_pattern",
            b -> b.setModel(b.getModel().toBuilder().setLayerPattern("LLXS"))),
        bad(
            "lower-case layer pattern",
            "model.layer_pattern",
            b -> b.setModel(b.getModel().toBuilder().setLayerPattern("lls"))),
        bad(
            "odd dk with softmax layers",
            "model.dk",
            b -> b.setModel(b.getModel().toBuilder().setLayerPattern("LS").setDk(33))),
        bad(
            "unknown softmax strategy",
            "parallel.softmax_strategy",
            b -> b.setParallel(b.getParallel().toBuilder().setSoftmaxStrategy("zigzag"))),
        bad("negative seq_len", "seq_len", b -> b.setSeqLen(-5)),
        bad("seq_len below world size", "seq_len", b -> b.setSeqLen(3)),
        bad("chunk 0", "chunk", b -> b.setChunk(0)),
        bad("chunk larger than shard", "chunk", b -> b.setChunk(300)),
        bad("no data source", "data", b -> b.setData(b.getData().toBuilder().clearSource())),
        bad(
            "missing data file",
            "data.file_path",
            b -> b.setData(b.getData().toBuilder().setFilePath("/no/such/tokens.txt"))),
        bad(
            "missing npy file",
            "data.npy_path",
            b -> b.setData(b.getData().toBuilder().setNpyPath("/no/such/tokens.npy"))),
        bad("batch 0", "data.batch", b -> b.setData(b.getData().toBuilder().setBatch(0))),
        bad("zero steps", "steps", b -> b.setSteps(0)),
        bad(
            "negative lr",
            "optimizer.lr",
            b -> b.setOptimizer(b.getOptimizer().toBuilder().setLr(-1e-3))),
        bad(
            "infinite lr",
            "optimizer.lr",
            b -> b.setOptimizer(b.getOptimizer().toBuilder().setLr(Double.POSITIVE_INFINITY))),
        bad(
            "warmup beyond steps",
            "optimizer.warmup_steps",
            b -> b.setOptimizer(b.getOptimizer().toBuilder().setWarmupSteps(10))),
        bad(
            "negative weight decay",
            "optimizer.weight_decay",
            b -> b.setOptimizer(b.getOptimizer().toBuilder().setWeightDecay(-0.1))),
        bad(
            "negative clip",
            "optimizer.clip_norm",
            b -> b.setOptimizer(b.getOptimizer().toBuilder().setClipNorm(-1))),
        bad(
            "beta1 of 1",
            "optimizer.beta1",
            b -> b.setOptimizer(b.getOptimizer().toBuilder().setBeta1(1.0))),
        bad(
            "checkpoint without dir",
            "checkpoint.dir",
            b -> b.setCheckpoint(b.getCheckpoint().toBuilder().setDir("").setIntervalSteps(5))),
        bad(
            "negative checkpoint interval",
            "checkpoint.interval_steps",
            b -> b.setCheckpoint(b.getCheckpoint().toBuilder().setIntervalSteps(-1))),
        bad(
            "heartbeat timeout below interval",
            "control.heartbeat_timeout_ms",
            b ->
                b.setControl(
                    b.getControl().toBuilder()
                        .setHeartbeatIntervalMs(1000)
                        .setHeartbeatTimeoutMs(500))),
        bad(
            "negative rendezvous timeout",
            "control.rendezvous_timeout_ms",
            b -> b.setControl(b.getControl().toBuilder().setRendezvousTimeoutMs(-1))),
        bad("bad name", "name", b -> b.setName("Bad Name!")));
  }

  private static Arguments bad(
      final String name, final String field, final UnaryOperator<JobSpec.Builder> edit) {
    return Arguments.of(name, field, edit.apply(TestSpecs.valid(4, 1001).toBuilder()).build());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidSpecs")
  void rejectsNamingTheField(final String name, final String field, final JobSpec spec) {
    final InvalidJobSpecException e =
        assertThrows(InvalidJobSpecException.class, () -> validator.conclude(spec), name);
    final List<String> fields = e.violations().stream().map(JobSpecViolation::field).toList();
    assertTrue(
        fields.contains(field),
        name + ": expected a violation of " + field + ", got " + e.getMessage());
    assertTrue(e.getMessage().contains(field + ": "), "message names the field: " + e.getMessage());
  }

  @Test
  void validSpecPassesAndGetsDefaults() {
    final JobSpec full =
        validator.conclude(TestSpecs.valid(4, 1001).toBuilder().clearControl().build());
    assertEquals(120_000, full.getControl().getRendezvousTimeoutMs());
    assertEquals(1_000, full.getControl().getHeartbeatIntervalMs());
    assertEquals(10_000, full.getControl().getHeartbeatTimeoutMs());
    assertTrue(
        full.getControl().getHeartbeatTimeoutMs() > full.getControl().getHeartbeatIntervalMs());
    assertEquals(0.9, full.getOptimizer().getBeta1());
  }

  @Test
  void emptyLayerPatternAndSoftmaxStrategyDefaultToAllLinearAndRing() {
    final JobSpec full = validator.conclude(TestSpecs.valid(4, 1001));
    assertEquals("L", full.getModel().getLayerPattern());
    assertEquals("ring", full.getParallel().getSoftmaxStrategy());
  }

  @Test
  void hybridPatternWithEveryStrategyIsAccepted() {
    for (final String s : List.of("ring", "ring-zigzag", "allgather-kv")) {
      final JobSpec.Builder b = TestSpecs.valid(4, 1001).toBuilder();
      b.getModelBuilder().setLayerPattern("LLLS");
      b.getParallelBuilder().setSoftmaxStrategy(s);
      final JobSpec full = validator.conclude(b.build());
      assertEquals("LLLS", full.getModel().getLayerPattern());
      assertEquals(s, full.getParallel().getSoftmaxStrategy());
    }
  }

  @Test
  void existingDataFileIsAccepted(@TempDir final Path dir) throws Exception {
    final Path tokens = Files.writeString(dir.resolve("tokens.txt"), "hello");
    final JobSpec spec =
        TestSpecs.valid(2, 100).toBuilder()
            .setData(TestSpecs.valid(2, 100).getData().toBuilder().setFilePath(tokens.toString()))
            .build();
    assertEquals(tokens.toString(), validator.conclude(spec).getData().getFilePath());
  }

  @Test
  void yamlAndJsonParseToTheSameSpec() {
    final String yaml =
        """
        name: yaml-job
        model: {layers: 2, d_model: 64, heads: 2, dk: 32, dv: 32, mlp_ratio: 4, vocab: 256, decay_mode: gla}
        parallel:
          world_size: 4
          strategy: allscan
          allscan_blocks: 4
        seq_len: 1001
        chunk: 16
        data: {synthetic: {}, batch: 1}
        optimizer: {lr: 0.001, warmup_steps: 1}
        steps: 3
        seed: 7
        """;
    final JobSpec fromYaml = JobSpecParser.parseYaml(yaml, "test.yaml");
    final JobSpec fromJson = JobSpecParser.parseJson(JobSpecParser.toJson(fromYaml), "test.json");
    assertEquals(fromYaml, fromJson);
    assertEquals(1001, fromYaml.getSeqLen());
    assertEquals("gla", fromYaml.getModel().getDecayMode());
    validator.conclude(fromYaml);
  }

  @Test
  void unknownYamlKeyIsRejected() {
    final Exception e =
        assertThrows(
            io.seqpar.InvalidInputException.class,
            () -> JobSpecParser.parseYaml("name: x\nseq_lenn: 5\n", "t.yaml"));
    assertTrue(e.getMessage().contains("seq_lenn"), e.getMessage());
  }

  @Test
  void submitAnswersInvalidArgumentWithFieldViolations() {
    try (InProcessCoordinator c = new InProcessCoordinator((JobSpec) null)) {
      final JobSpec bad = TestSpecs.valid(0, 100);
      final StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  c.admin()
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .submit(SubmitJobRequest.newBuilder().setSpec(bad).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertTrue(
          e.getStatus().getDescription().contains("parallel.world_size: 0"),
          e.getStatus().getDescription());
      final com.google.rpc.Status details = StatusProto.fromThrowable(e);
      boolean sawField = false;
      boolean sawInfo = false;
      for (final com.google.protobuf.Any any : details.getDetailsList()) {
        if (any.is(BadRequest.class)) {
          sawField =
              unpack(any, BadRequest.class).getFieldViolationsList().stream()
                  .anyMatch(v -> v.getField().equals("parallel.world_size"));
        }
        if (any.is(ErrorInfo.class)) {
          sawInfo = unpack(any, ErrorInfo.class).getReason().equals("INVALID_JOB_SPEC");
        }
      }
      assertTrue(sawField, "BadRequest names parallel.world_size");
      assertTrue(sawInfo, "ErrorInfo reason INVALID_JOB_SPEC");
    }
  }

  private static <T extends com.google.protobuf.Message> T unpack(
      final com.google.protobuf.Any any, final Class<T> type) {
    try {
      return any.unpack(type);
    } catch (final com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
