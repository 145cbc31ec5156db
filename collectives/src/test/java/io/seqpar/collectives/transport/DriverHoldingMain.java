package io.seqpar.collectives.transport;

import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Child process of {@link EmbeddedDriverCleanupTest}: launches a driver in a unique directory named
 * by the prefix given (under the base directory given, else under /dev/shm), prints the directory,
 * and holds it until killed (at most 60 s). It never closes the driver itself, so only the shutdown
 * hook can delete the directory.
 */
public final class DriverHoldingMain {
  private DriverHoldingMain() {}

  public static void main(final String[] args) throws InterruptedException {
    final EmbeddedDriver driver =
        args.length > 1
            ? EmbeddedDriver.launch(args[1] + "/" + args[0] + "-" + UUID.randomUUID())
            : EmbeddedDriver.launchUnique(args[0]);
    System.out.println("DIR " + driver.aeronDirectoryName());
    System.out.flush();
    Thread.sleep(TimeUnit.SECONDS.toMillis(60));
  }
}
