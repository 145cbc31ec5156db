package io.seqpar.deploy.launcher;

import java.security.SecureRandom;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A run id that sorts by start time and does not collide between concurrent runs: {@code
 * yyyyMMdd-HHmmss-xxxxxx} in UTC with 24 random bits (one collision in ~16 million runs started in
 * the same second).
 */
public record RunId(String value) {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
  private static final Pattern FORMAT = Pattern.compile("\\d{8}-\\d{6}-[0-9a-f]{6}");
  private static final SecureRandom RANDOM = new SecureRandom();

  public RunId {
    if (value == null || !FORMAT.matcher(value).matches()) {
      throw new IllegalArgumentException("run id '" + value + "' is not yyyyMMdd-HHmmss-xxxxxx");
    }
  }

  /** A fresh id for a run starting now. */
  public static RunId next() {
    final byte[] suffix = new byte[3];
    RANDOM.nextBytes(suffix);
    return new RunId(
        STAMP.format(ZonedDateTime.now(ZoneOffset.UTC)) + "-" + HexFormat.of().formatHex(suffix));
  }

  @Override
  public String toString() {
    return value;
  }
}
