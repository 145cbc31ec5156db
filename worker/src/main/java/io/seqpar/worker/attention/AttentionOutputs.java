package io.seqpar.worker.attention;

import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.Npy;
import io.seqpar.tensor.TensorArena;
import io.seqpar.worker.kernel.DecayMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The results of one linear-attention problem: {@code o [B,H,T,dv]}, {@code S_T [B,H,dk,dv]},
 * {@code dq dk [B,H,T,dk]}, {@code dv [B,H,T,dv]} and, for gla, {@code dg [B,H,T,dk]}, in one
 * off-heap arena. Named as the oracle names its expected files.
 */
public final class AttentionOutputs implements AutoCloseable {
  private final DecayMode mode;
  private final TensorArena arena;

  public AttentionOutputs(
      final DecayMode mode, final int b, final int h, final int t, final int dk, final int dv) {
    this.mode = mode;
    final TensorArena.Builder plan =
        TensorArena.builder("attention outputs")
            .add("o", b, h, t, dv)
            .add("S_T", b, h, dk, dv)
            .add("dq", b, h, t, dk)
            .add("dk", b, h, t, dk)
            .add("dv", b, h, t, dv);
    if (mode == DecayMode.GLA) {
      plan.add("dg", b, h, t, dk);
    }
    this.arena = plan.build();
  }

  /** One of o, S_T, dq, dk, dv, dg. */
  public FloatView view(final String name) {
    return arena.view(name);
  }

  /** Output names in writing order. */
  public List<String> names() {
    final List<String> names = new ArrayList<>(List.of("o", "S_T", "dq", "dk", "dv"));
    if (mode == DecayMode.GLA) {
      names.add("dg");
    }
    return names;
  }

  /**
   * Writes every output as float32 {@code NAME.npy} into {@code dir}: first into a staging
   * directory next to it, then renamed into place, so a failure leaves no partial set of results.
   */
  public void write(final Path dir) {
    try {
      Files.createDirectories(dir);
      final Path staging = Files.createTempDirectory(dir, ".staging-");
      try {
        for (final String name : names()) {
          Npy.writeFloat32(staging.resolve(name + ".npy"), arena.view(name));
        }
        for (final String name : names()) {
          Files.move(
              staging.resolve(name + ".npy"),
              dir.resolve(name + ".npy"),
              StandardCopyOption.REPLACE_EXISTING,
              StandardCopyOption.ATOMIC_MOVE);
        }
      } finally {
        try (Stream<Path> left = Files.walk(staging)) {
          for (final Path p : left.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(p);
          }
        }
      }
    } catch (final IOException e) {
      throw new UncheckedIOException("cannot write results to " + dir, e);
    }
  }

  @Override
  public void close() {
    arena.close();
  }
}
