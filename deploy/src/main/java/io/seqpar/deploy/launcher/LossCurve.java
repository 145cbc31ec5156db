package io.seqpar.deploy.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Draws the run's loss per step as a PNG (JFreeChart, headless), written temp + rename. */
public final class LossCurve {
  public static final int WIDTH = 800;
  public static final int HEIGHT = 480;

  private LossCurve() {}

  public static void write(final List<MetricsLog.Step> steps, final String title, final Path png)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    final XYSeries loss = new XYSeries("loss");
    for (final MetricsLog.Step s : steps) {
      if (Double.isFinite(s.loss())) {
        loss.add(s.step() + 1, s.loss());
      }
    }
    final JFreeChart chart =
        ChartFactory.createXYLineChart(
            title,
            "step",
            "loss (nats/token)",
            new XYSeriesCollection(loss),
            PlotOrientation.VERTICAL,
            false,
            false,
            false);
    final Path tmp = Files.createTempFile(png.toAbsolutePath().getParent(), ".loss", ".png.tmp");
    try {
      ChartUtils.saveChartAsPNG(tmp.toFile(), chart, WIDTH, HEIGHT);
      Files.move(tmp, png, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
