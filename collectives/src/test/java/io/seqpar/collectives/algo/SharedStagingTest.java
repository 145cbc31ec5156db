package io.seqpar.collectives.algo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * The staging protocol on one segment, with "ranks" driven in turn by one thread: arrival, chunk
 * claims split between ranks, rank-order sums, repeated calls without resets, and the size check.
 */
class SharedStagingTest {
  private static final int RANKS = 3;

  @Test
  void ranksSumInRankOrderAcrossRepeatedCallsWithoutResets() {
    final int n = 2 * SharedStaging.CHUNK_FLOATS + 5; // three chunks, the last short
    final MemorySegment memory =
        Arena.ofAuto().allocate(SharedStaging.bytesFor(RANKS, (long) n * Float.BYTES), 4096);
    final SharedStaging[] staging = new SharedStaging[RANKS];
    for (int r = 0; r < RANKS; r++) {
      staging[r] = SharedStaging.over(memory, r, RANKS, (long) n * Float.BYTES);
    }
    for (long seq = 0; seq < 4; seq++) {
      final MemorySegment[] data = new MemorySegment[RANKS];
      for (int r = 0; r < RANKS; r++) {
        data[r] = Arena.ofAuto().allocate((long) n * Float.BYTES);
        for (int i = 0; i < n; i++) {
          data[r].setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.sin(r * 1.7 + i + seq));
        }
      }
      for (int r = 0; r < RANKS - 1; r++) {
        staging[r].arrive(seq, r, data[r], 0, n);
        assertEquals(r + 1, staging[r].firstMissing(seq), "call " + seq);
        assertFalse(staging[r].ready(seq), "call " + seq);
        if (r == 0 && seq > 0) {
          // Rank 0 is in the next call: to a rank still polling the last one it has arrived.
          assertEquals(-1, staging[1].firstMissing(seq - 1));
        }
      }
      staging[RANKS - 1].arrive(seq, RANKS - 1, data[RANKS - 1], 0, n);
      assertEquals(-1, staging[0].firstMissing(seq));
      assertTrue(staging[1].chunksLeft());
      assertFalse(staging[1].summed());
      assertTrue(staging[2].ready(seq));
      // Rank 1 sums everything; rank 2 finds nothing left, and the result is ready for all.
      assertEquals(3, staging[1].sumChunks());
      assertTrue(staging[1].summed());
      assertFalse(staging[2].chunksLeft());
      assertEquals(0, staging[2].sumChunks());
      assertTrue(staging[2].ready(seq));
      final float[] expected = new float[n];
      for (int i = 0; i < n; i++) {
        float acc = data[0].getAtIndex(ValueLayout.JAVA_FLOAT, i);
        for (int q = 1; q < RANKS; q++) {
          acc += data[q].getAtIndex(ValueLayout.JAVA_FLOAT, i);
        }
        expected[i] = acc;
      }
      for (int r = 0; r < RANKS; r++) {
        assertTrue(staging[r].summed(), "rank " + r + " call " + seq);
        staging[r].copyResult(data[r], 0);
        assertArrayEquals(expected, data[r].toArray(ValueLayout.JAVA_FLOAT), "rank " + r);
      }
    }
  }

  @Test
  void aRankWithAnotherMaxBytesIsRefusedNamingBothSizes() {
    final MemorySegment memory =
        Arena.ofAuto().allocate(SharedStaging.bytesFor(2, 64 * 1024), 4096);
    SharedStaging.over(memory, 0, 2, 64 * 1024);
    final IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> SharedStaging.over(memory, 1, 2, 1024));
    assertEquals(
        "allreduce(shared): rank=1 has slots of 4096 bytes, the group's staging area was made"
            + " with 65536 (every rank must pass the same maxBytes)",
        e.getMessage());
  }
}
