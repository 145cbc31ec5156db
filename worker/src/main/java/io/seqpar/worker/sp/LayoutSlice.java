package io.seqpar.worker.sp;

import io.seqpar.tensor.FloatView;
import io.seqpar.tensor.TensorArena;
import io.seqpar.worker.attention.AttentionInputs;
import io.seqpar.worker.attention.AttentionOutputs;
import java.lang.foreign.MemorySegment;

/**
 * One rank's rows of a {@code [B,H,T,d]} softmax-attention problem under a {@link SequenceLayout}
 * (its two pieces, in local order), re-laid out as {@code [B·H, L, d]} in the rank's own arena with
 * room for o, lse and the gradients.
 */
public final class LayoutSlice implements AutoCloseable {
  private final SequenceLayout layout;
  private final int rank;
  private final int heads;
  private final int len;
  private final int dk;
  private final int dv;
  private final TensorArena arena;

  private LayoutSlice(
      final SequenceLayout layout, final int rank, final int heads, final int dk, final int dv) {
    this.layout = layout;
    this.rank = rank;
    this.heads = heads;
    this.len = layout.length(rank);
    this.dk = dk;
    this.dv = dv;
    final TensorArena.Builder plan = TensorArena.builder("softmax slice rank " + rank);
    for (final String n : new String[] {"q", "k", "dq", "dk"}) {
      plan.add(n, heads, len, dk);
    }
    for (final String n : new String[] {"v", "dO", "o", "dv"}) {
      plan.add(n, heads, len, dv);
    }
    plan.add("lse", heads, len);
    this.arena = plan.build();
  }

  /** Rank {@code rank}'s rows of a file problem (B·H heads). */
  public LayoutSlice(final AttentionInputs in, final SequenceLayout layout, final int rank) {
    this(layout, rank, in.batch() * in.heads(), in.dk(), in.dv());
    copy(in.view("q"), view("q"), dk, true);
    copy(in.view("k"), view("k"), dk, true);
    copy(in.view("v"), view("v"), dv, true);
    copy(in.view("dO"), view("dO"), dv, true);
  }

  /** Rank {@code rank}'s rows of a synthetic problem, generated here. */
  public static LayoutSlice synthetic(
      final SyntheticAttention p, final SequenceLayout layout, final int rank) {
    final LayoutSlice s = new LayoutSlice(layout, rank, p.heads(), p.dk(), p.dv());
    s.fill(p, SyntheticAttention.Q, s.view("q"), p.dk());
    s.fill(p, SyntheticAttention.K, s.view("k"), p.dk());
    s.fill(p, SyntheticAttention.V, s.view("v"), p.dv());
    s.fill(p, SyntheticAttention.DO, s.view("dO"), p.dv());
    return s;
  }

  private void fill(final SyntheticAttention p, final int t, final FloatView view, final int w) {
    long idx = 0;
    for (int h = 0; h < heads; h++) {
      for (int r = 0; r < len; r++) {
        final long token = layout.position(rank, r);
        for (int i = 0; i < w; i++) {
          view.set(idx++, p.value(t, h, token, i));
        }
      }
    }
  }

  public int len() {
    return len;
  }

  /** q, k, v, dO, o, lse, dq, dk, dv. */
  public FloatView view(final String name) {
    return arena.view(name);
  }

  /** Forward then backward of {@code op} on this slice. */
  public void run(final SoftmaxSpAttention op) {
    op.forward(seg("o"), seg("lse"), seg("q"), seg("k"), seg("v"));
    op.backward(
        seg("dq"),
        seg("dk"),
        seg("dv"),
        seg("dO"),
        seg("q"),
        seg("k"),
        seg("v"),
        seg("o"),
        seg("lse"));
  }

  /** Writes o, dq, dk, dv into the full outputs at this rank's positions. */
  public void scatterInto(final AttentionOutputs out) {
    copy(out.view("o"), view("o"), dv, false);
    copy(out.view("dq"), view("dq"), dk, false);
    copy(out.view("dk"), view("dk"), dk, false);
    copy(out.view("dv"), view("dv"), dv, false);
  }

  private MemorySegment seg(final String name) {
    return arena.view(name).segment();
  }

  /** Moves this rank's pieces between a full {@code [heads, T, w]} view and the slice. */
  private void copy(final FloatView full, final FloatView slice, final int w, final boolean in) {
    final long row = (long) w * Float.BYTES;
    final int tokens = layout.tokens();
    for (int h = 0; h < heads; h++) {
      for (int s = 0; s < 2; s++) {
        final int p = layout.piece(rank, s);
        final long fullAt = ((long) h * tokens + layout.pieceStart(p)) * row;
        final long sliceAt = ((long) h * len + layout.localOffset(p)) * row;
        final long bytes = layout.pieceLength(p) * row;
        if (in) {
          MemorySegment.copy(full.segment(), fullAt, slice.segment(), sliceAt, bytes);
        } else {
          MemorySegment.copy(slice.segment(), sliceAt, full.segment(), fullAt, bytes);
        }
      }
    }
  }

  @Override
  public void close() {
    arena.close();
  }
}
