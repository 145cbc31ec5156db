package io.seqpar.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class TensorArenaTest {
  @Test
  void carvesOneAllocationIntoAlignedNamedViews() {
    try (TensorArena a =
        TensorArena.builder("test").add("x", 3, 5).add("y", 7).add("z", 2, 2).build()) {
      final FloatView x = a.view("x");
      final FloatView y = a.view("y");
      assertThat(x.count()).isEqualTo(15);
      assertThat(y.shape()).containsExactly(7);
      assertThat(x.segment().address() % TensorArena.ALIGNMENT).isZero();
      assertThat(y.segment().address() % TensorArena.ALIGNMENT).isZero();
      assertThat(y.segment().address()).isGreaterThanOrEqualTo(x.segment().address() + 60);
      x.set(14, 2.5f);
      y.set(0, -1f);
      assertEquals(2.5f, x.get(14));
      assertEquals(-1f, y.get(0));
      assertEquals(0f, a.view("z").get(3)); // zeroed on allocation
      final FloatView row = x.slice("x[2]", 10, 5);
      assertEquals(2.5f, row.get(4));
      assertThat(a.byteSize()).isEqualTo(64 + 64 + 64);
    }
  }

  @Test
  void namesTheOwnerAndKnownViewsOnALookupMiss() {
    try (TensorArena a = TensorArena.builder("params").add("w", 2).build()) {
      assertThat(assertThrows(IllegalArgumentException.class, () -> a.view("v")).getMessage())
          .contains("params")
          .contains("'v'")
          .contains("[w]");
    }
    assertThrows(
        IllegalArgumentException.class, () -> TensorArena.builder("p").add("w", 2).add("w", 3));
  }
}
