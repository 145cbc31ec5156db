package io.seqpar.coordinator;

import io.grpc.stub.StreamObserver;
import io.seqpar.proto.v1.JobEvent;
import io.seqpar.proto.v1.JobEventType;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records a WatchEvents stream; completes {@link #abort} with the receive time of an ABORT. */
public final class EventRecorder implements StreamObserver<JobEvent> {
  public final List<JobEvent> events = new CopyOnWriteArrayList<>();
  public final CompletableFuture<Long> abortNanos = new CompletableFuture<>();
  public final CompletableFuture<JobEvent> terminal = new CompletableFuture<>();

  @Override
  public void onNext(final JobEvent e) {
    events.add(e);
    if (e.getType() == JobEventType.JOB_EVENT_ABORT) {
      abortNanos.complete(System.nanoTime());
    }
    if (e.getType() == JobEventType.JOB_EVENT_ABORT
        || e.getType() == JobEventType.JOB_EVENT_SHUTDOWN) {
      terminal.complete(e);
    }
  }

  @Override
  public void onError(final Throwable t) {
    terminal.completeExceptionally(t);
    abortNanos.completeExceptionally(t);
  }

  @Override
  public void onCompleted() {}
}
