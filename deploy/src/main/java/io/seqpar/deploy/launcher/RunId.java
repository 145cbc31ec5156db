package io.seqpar.deploy.launcher;

import java.security.SecureRandom;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A run id that sorts by start time and does not collide between concurrent runs: {@code
 * yyyyMMdd-HHmmss-SSS-xxxxxxxx} in UTC (milliseconds included) with 32 random bits, so two runs
 * collide only if they start in the same millisecond and draw the same 32 bits.
 */
public record RunId(String value) {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");
  private static final Pattern FORMAT = Pattern.compile("\\d{8}-\\d{6}-\\d{3}-[0-9a-f]{8}");
  private static final SecureRandom RANDOM = new SecureRandom();

  public RunId {
    if (value == null || !FORMAT.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "run id '" + value + "' is not yyyyMMdd-HHmmss-SSS-xxxxxxxx");
    }
  }

  /** A fresh id for a run starting now. */
  public static RunId next() {
    final byte[] suffix = new byte[4];
    RANDOM.nextBytes(suffix);
    return new RunId(
        STAMP.format(ZonedDateTime.now(ZoneOffset.UTC)) + "-" + HexFormat.of().formatHex(suffix));
  }

  @Override
  public String toString() {
    return value;
  }
}
