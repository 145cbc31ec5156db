package io.seqpar.coordinator.job;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.seqpar.proto.v1.PeerInfo;
import io.seqpar.proto.v1.RegisterRequest;
import io.seqpar.proto.v1.RegisterResponse;
import io.seqpar.proto.v1.ShardRange;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Gathers exactly P registrations and assigns ranks. A requested rank (e.g. a Kubernetes completion
 * index) is honoured; a rank requested twice is rejected, as is a (P+1)-th worker. Workers without
 * a request get the lowest free ranks in arrival order once all P are in, so a late worker asking
 * for a specific rank is never blocked by an early one that did not care. A retry with the same
 * worker id replaces the earlier registration (its call may have timed out). Not thread-safe:
 * {@link JobCoordinator} calls it under its lock.
 */
final class Rendezvous {
  /** One parked Register call and the rank it was given. */
  record Waiter(int rank, StreamObserver<RegisterResponse> observer) {}

  /** The result once all P workers registered. */
  record Completed(List<Waiter> waiters, List<PeerInfo> peers, List<ShardRange> shards) {}

  private record Entry(RegisterRequest request, StreamObserver<RegisterResponse> observer) {}

  private final int worldSize;
  private final long tokens;
  private final Map<String, Entry> byWorker = new LinkedHashMap<>();
  private Completed completed;

  Rendezvous(final int worldSize, final long tokens) {
    this.worldSize = worldSize;
    this.tokens = tokens;
  }

  int registered() {
    return completed != null ? worldSize : byWorker.size();
  }

  /** The peer table once complete, else null. */
  Completed completed() {
    return completed;
  }

  /**
   * Adds a registration. Returns the completed rendezvous when this was the P-th, else null; throws
   * {@link ControlPlaneException} for a bad, duplicate or surplus registration.
   */
  Completed offer(final RegisterRequest req, final StreamObserver<RegisterResponse> observer) {
    final String worker = req.getWorkerId();
    if (worker.isEmpty()) {
      throw reject(
          Status.Code.INVALID_ARGUMENT,
          "NO_WORKER_ID",
          "register: worker_id must not be empty",
          worker);
    }
    if (completed != null) {
      throw reject(
          Status.Code.RESOURCE_EXHAUSTED,
          "RENDEZVOUS_FULL",
          "register: all " + worldSize + " ranks are taken; rejected worker '" + worker + "'",
          worker);
    }
    if (req.hasRequestedRank()) {
      final int rank = req.getRequestedRank().getRank();
      if (rank < 0 || rank >= worldSize) {
        throw reject(
            Status.Code.INVALID_ARGUMENT,
            "BAD_RANK",
            "register: worker '"
                + worker
                + "' requested rank "
                + rank
                + ", allowed 0.."
                + (worldSize - 1),
            worker);
      }
      for (final Entry e : byWorker.values()) {
        if (!e.request.getWorkerId().equals(worker)
            && e.request.hasRequestedRank()
            && e.request.getRequestedRank().getRank() == rank) {
          throw reject(
              Status.Code.ALREADY_EXISTS,
              "DUPLICATE_RANK",
              "register: rank "
                  + rank
                  + " already registered by worker '"
                  + e.request.getWorkerId()
                  + "'; rejected worker '"
                  + worker
                  + "'",
              worker);
        }
      }
    }
    final Entry previous = byWorker.get(worker);
    if (previous == null && byWorker.size() == worldSize) {
      throw reject(
          Status.Code.RESOURCE_EXHAUSTED,
          "RENDEZVOUS_FULL",
          "register: all " + worldSize + " ranks are taken; rejected worker '" + worker + "'",
          worker);
    }
    if (previous != null) {
      // A retry: the earlier call was most likely cancelled by its deadline; answer the new one.
      try {
        previous.observer.onError(
            Status.ABORTED
                .withDescription("superseded by a retry of worker '" + worker + "'")
                .asRuntimeException());
      } catch (final RuntimeException ignored) {
        // Already cancelled.
      }
    }
    byWorker.put(worker, new Entry(req, observer));
    return byWorker.size() == worldSize ? complete() : null;
  }

  private Completed complete() {
    final int[] rankOf = assign();
    final PeerInfo[] peers = new PeerInfo[worldSize];
    final List<Waiter> waiters = new ArrayList<>(worldSize);
    int i = 0;
    for (final Entry e : byWorker.values()) {
      final int rank = rankOf[i++];
      peers[rank] =
          PeerInfo.newBuilder()
              .setRank(rank)
              .setWorkerId(e.request.getWorkerId())
              .setDataEndpoint(e.request.getDataEndpoint())
              .build();
      waiters.add(new Waiter(rank, e.observer));
    }
    completed = new Completed(waiters, List.of(peers), ShardPlanner.plan(tokens, worldSize));
    byWorker.clear();
    return completed;
  }

  /** Ranks in arrival order: requested ones first, then the lowest free ranks. */
  private int[] assign() {
    final int[] out = new int[byWorker.size()];
    final BitSet taken = new BitSet(worldSize);
    int i = 0;
    for (final Entry e : byWorker.values()) {
      out[i] = e.request.hasRequestedRank() ? e.request.getRequestedRank().getRank() : -1;
      if (out[i] >= 0) {
        taken.set(out[i]);
      }
      i++;
    }
    for (int k = 0; k < out.length; k++) {
      if (out[k] < 0) {
        out[k] = taken.nextClearBit(0);
        taken.set(out[k]);
      }
    }
    return out;
  }

  /** Ranks no registered worker would get if the rendezvous completed now. */
  List<Integer> missingRanks() {
    if (completed != null) {
      return List.of();
    }
    final int[] assigned = assign();
    final BitSet taken = new BitSet(worldSize);
    for (final int r : assigned) {
      taken.set(r);
    }
    final List<Integer> missing = new ArrayList<>();
    for (int r = taken.nextClearBit(0); r < worldSize; r = taken.nextClearBit(r + 1)) {
      missing.add(r);
    }
    return missing;
  }

  /** Fails every parked registration (rendezvous deadline, cancel). */
  void failAll(final Consumer<StreamObserver<RegisterResponse>> fail) {
    byWorker.values().forEach(e -> fail.accept(e.observer));
    byWorker.clear();
  }

  private static ControlPlaneException reject(
      final Status.Code code, final String reason, final String message, final String worker) {
    return new ControlPlaneException(code, reason, message, Map.of("worker_id", worker));
  }
}
