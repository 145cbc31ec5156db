#!/usr/bin/env python3
"""A seqpar worker written without any seqpar code: Python stubs generated from proto/ at run time.

Registers one worker, heartbeats, reads the job status, and checks that a call without the job
token is refused. Prints one JSON line with what it saw; exits non-zero on any mismatch.
Usage: interop_client.py --port P --token-env VAR --proto-dir DIR --work-dir DIR
"""
import argparse
import json
import os
import sys


def generate(proto_dir, out_dir):
    from grpc_tools import protoc
    # Every contract file, so a new import never breaks the stubs.
    files = sorted(os.path.join("seqpar", "v1", f) for f in os.listdir(os.path.join(proto_dir, "seqpar", "v1")) if f.endswith(".proto"))
    rc = protoc.main(["protoc", "-I" + proto_dir, "--python_out=" + out_dir, "--grpc_python_out=" + out_dir] + files)
    if rc != 0:
        raise SystemExit("protoc failed with exit code %d" % rc)
    sys.path.insert(0, out_dir)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token-env", default="SEQPAR_TOKEN")
    ap.add_argument("--proto-dir", required=True)
    ap.add_argument("--work-dir", required=True)
    args = ap.parse_args()
    generate(args.proto_dir, args.work_dir)

    import grpc
    from seqpar.v1 import job_admin_pb2, job_admin_pb2_grpc, job_pb2, worker_control_pb2, worker_control_pb2_grpc

    token = os.environ[args.token_env]
    auth = [("authorization", "Bearer " + token)]
    channel = grpc.insecure_channel("localhost:%d" % args.port)
    worker = worker_control_pb2_grpc.WorkerControlStub(channel)
    admin = job_admin_pb2_grpc.JobAdminStub(channel)

    try:
        admin.Status(job_admin_pb2.JobStatusRequest(), timeout=10)
        raise SystemExit("a call without the token was accepted")
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.UNAUTHENTICATED:
            raise SystemExit("expected UNAUTHENTICATED without token, got %s" % e.code())

    req = worker_control_pb2.RegisterRequest(worker_id="python-worker", data_endpoint="127.0.0.1:40123")
    req.requested_rank.rank = 0
    req.capabilities.cpu_cores = os.cpu_count() or 1
    req.capabilities.version = "python-interop"
    req.capabilities.transports.append("aeron-udp")
    reg = worker.Register(req, metadata=auth, timeout=30)

    beats = []
    for step in range(3):
        hb = worker.Heartbeat(worker_control_pb2.HeartbeatRequest(job=reg.job, rank=reg.rank, step=step - 1),
                              metadata=auth, timeout=10)
        beats.append(job_pb2.JobStateProto.Name(hb.state))

    status = admin.Status(job_admin_pb2.JobStatusRequest(job_id=reg.job.job_id), metadata=auth, timeout=10)
    result = {
        "job_id": reg.job.job_id,
        "epoch": reg.job.epoch,
        "rank": reg.rank,
        "world_size": reg.world_size,
        "shard": [reg.shards[0].start_token, reg.shards[0].end_token, reg.shards[0].first_target_token],
        "peer_endpoint": reg.peers[0].data_endpoint,
        "heartbeat_states": beats,
        "status_state": job_pb2.JobStateProto.Name(status.state),
        "status_registered": status.registered,
    }
    print(json.dumps(result))
    ok = (reg.rank == 0 and status.state == job_pb2.JOB_STATE_RUNNING and status.registered == 1
          and all(b == "JOB_STATE_RUNNING" for b in beats))
    return 0 if ok else 3


if __name__ == "__main__":
    sys.exit(main())
