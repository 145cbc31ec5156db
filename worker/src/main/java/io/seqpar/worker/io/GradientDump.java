package io.seqpar.worker.io;

import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.Npy;
import io.seqpar.worker.model.ParameterSet;
import java.nio.file.Path;

/**
 * {@code --dump-grads DIR}: after the first step's backward (and the gradient all-reduce), before
 * the optimizer, writes {@code DIR/<parameter name>.npy} (float32, the parameter's shape) for every
 * gradient and {@code DIR/loss.npy} (a float64 scalar, shape {@code ()}), for comparison with other
 * implementations. Each file is written atomically.
 */
public final class GradientDump {
  /** File name of the loss scalar. */
  public static final String LOSS_FILE = "loss.npy";

  private GradientDump() {}

  public static void write(final Path dir, final ParameterSet params, final double loss) {
    for (final FloatView g : params.gradViews().values()) {
      Npy.writeFloat32(dir.resolve(g.name() + ".npy"), g);
    }
    Npy.writeFloat64(dir.resolve(LOSS_FILE), new int[0], new double[] {loss});
  }
}
