/**
 * The data plane of seqpar: collectives over a {@link io.seqpar.collectives.transport.Transport}.
 *
 * <p>How the SP operator uses it:
 *
 * <pre>{@code
 * Transport t = AeronTransport.bind(ctx).connect(peerTable, timeoutNs);   // or InMemoryTransport.group(P)[r]
 * Communicator comm = new Communicator(t, new CollectiveContext().jobId(job).epoch(epoch).timeoutNs(ns));
 * ScanCollective scan = ScanAlgorithm.ALLSCAN.create(comm, new ScanShape(B * H, dk, dv), 0);
 * scan.start(ScanDirection.FORWARD, logGamma, deltaS, sIn);   // post, then overlap intra-chunk compute
 * ... scan.poll() from the compute loop keeps the pipeline moving ...
 * scan.await();                                               // sIn = S_in^(p); scan.stats() has the accounting
 * scan.start(ScanDirection.REVERSE, logGamma, deltaDS, dSOut); ... scan.await();
 * }</pre>
 *
 * <p>Every collective ({@link io.seqpar.collectives.algo}) is one class over a {@link
 * io.seqpar.collectives.Communicator}, with start / poll / await (deadline) and {@link
 * io.seqpar.collectives.CollectiveStats}. All ranks must call collectives in the same order: the
 * communicator numbers them, and frames are matched by that sequence. A failed call (timeout or
 * lost peer) leaves the group out of step: rebuild it under a new epoch.
 */
package io.seqpar.collectives;
