package io.seqpar.worker.io;

import io.seqpar.worker.model.ModelConfig;
import io.seqpar.worker.model.ParameterSet;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code --init-from FILE} and {@code --save FILE}: the parameter arena to and from safetensors, by
 * the fixed parameter names of {@link ParameterSet}. A file must hold exactly the model's tensors,
 * F32, with the model's shapes (stored {@code [out, in]} as in PyTorch).
 */
public final class WeightsIo {
  private WeightsIo() {}

  /** Overwrites every parameter with the tensor of the same name in {@code file}. */
  public static void initFrom(final Path file, final ParameterSet params) {
    Safetensors.load(file, params.paramViews());
  }

  /**
   * Refuses {@code file} before anything is allocated or trained unless {@link #initFrom} would
   * accept it for a model of {@code config} and every weight is finite (header, dtype, names,
   * shapes, offsets, values).
   */
  public static void check(final Path file, final ModelConfig config) {
    Safetensors.check(file, ParameterSet.shapes(config));
  }

  /** Writes every parameter, with the model shape as metadata. */
  public static void save(final Path file, final ParameterSet params) {
    Safetensors.write(file, params.paramViews(), metadata(params.config()));
  }

  static Map<String, String> metadata(final ModelConfig c) {
    final Map<String, String> m = new LinkedHashMap<>();
    m.put("format", "seqpar");
    m.put("layers", Integer.toString(c.layers()));
    m.put("d_model", Integer.toString(c.dModel()));
    m.put("heads", Integer.toString(c.heads()));
    m.put("dk", Integer.toString(c.dk()));
    m.put("dv", Integer.toString(c.dv()));
    m.put("mlp_ratio", Integer.toString(c.mlpRatio()));
    m.put("vocab", Integer.toString(c.vocab()));
    m.put("decay", c.decay().id());
    m.put("tie_embeddings", Boolean.toString(c.tieEmbeddings()));
    return m;
  }
}
