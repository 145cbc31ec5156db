package io.seqpar.deploy.launcher;

import java.util.ArrayList;
import java.util.List;

/** The last {@code capacity} lines of a child's output, for the root-cause block. Thread-safe. */
public final class LogTail {
  private final String[] ring;
  private long count;

  public LogTail(final int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("log tail capacity=" + capacity + " must be >= 1");
    }
    this.ring = new String[capacity];
  }

  public synchronized void add(final String line) {
    ring[(int) (count % ring.length)] = line;
    count++;
  }

  /** The kept lines, oldest first. */
  public synchronized List<String> lines() {
    final int n = (int) Math.min(count, ring.length);
    final List<String> out = new ArrayList<>(n);
    for (long i = count - n; i < count; i++) {
      out.add(ring[(int) (i % ring.length)]);
    }
    return out;
  }

  /** How many lines were ever added. */
  public synchronized long total() {
    return count;
  }
}
