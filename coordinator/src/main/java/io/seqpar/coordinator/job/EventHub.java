package io.seqpar.coordinator.job;

import io.grpc.stub.ServerCallStreamObserver;
import io.seqpar.proto.v1.JobEvent;
import io.seqpar.proto.v1.JobEventType;
import java.util.ArrayList;
import java.util.List;

/**
 * The open {@code WatchEvents} streams of one job epoch. Not thread-safe: the owning {@link
 * JobCoordinator} calls it under its lock, which also serialises writes to each stream.
 */
final class EventHub {
  private final List<ServerCallStreamObserver<JobEvent>> watchers = new ArrayList<>();

  void add(final ServerCallStreamObserver<JobEvent> watcher) {
    watchers.add(watcher);
  }

  void remove(final ServerCallStreamObserver<JobEvent> watcher) {
    watchers.remove(watcher);
  }

  int size() {
    return watchers.size();
  }

  /** Sends {@code event} to every watcher; ABORT and SHUTDOWN also close the streams. */
  void publish(final JobEvent event) {
    final boolean last =
        event.getType() == JobEventType.JOB_EVENT_ABORT
            || event.getType() == JobEventType.JOB_EVENT_SHUTDOWN;
    for (final ServerCallStreamObserver<JobEvent> w : List.copyOf(watchers)) {
      send(w, event, last);
    }
    if (last) {
      watchers.clear();
    }
  }

  /** Sends one event to one watcher, dropping watchers whose call was cancelled. */
  static void send(
      final ServerCallStreamObserver<JobEvent> w, final JobEvent event, final boolean last) {
    if (w.isCancelled()) {
      return;
    }
    try {
      w.onNext(event);
      if (last) {
        w.onCompleted();
      }
    } catch (final RuntimeException e) {
      // The client went away between isCancelled() and onNext(); nothing to deliver to.
    }
  }
}
