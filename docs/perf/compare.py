#!/usr/bin/env python3
"""Ratio tables for docs/PERFORMANCE.md: seqpar JSONL (docs/perf/collectives.sh) vs anchors CSV.

usage: compare.py SEQPAR_DIR ANCHOR_DIR   (ANCHOR_DIR holds mpi.csv and gloo.csv from run_all.sh)
ratio = anchor median time / seqpar median time (> 1: seqpar faster).
"""
import csv, glob, json, os, sys

sq, an = sys.argv[1], sys.argv[2]
def load(d):
    out = {}
    for f in glob.glob(os.path.join(d, "*.jsonl")):
        for line in open(f):
            r = json.loads(line)
            out[(r["op"], r["ranks"], r["bytes"])] = r
    return out

# Ratio runs in SEQPAR_DIR, the P = 8 scan comparison in SEQPAR_DIR/p8 (older runs: one directory).
seq = load(sq)
p8 = load(os.path.join(sq, "p8")) or seq
anchor = {}
for name in ("mpi.csv", "gloo.csv"):
    p = os.path.join(an, name)
    if os.path.exists(p):
        for r in csv.DictReader(open(p)):
            anchor[(r["impl"], r["op"], int(r["world"]), int(r["bytes_per_rank"]))] = float(r["median_us"])

def kib(b):
    return f"{b // 1024} KiB" if b < 1 << 20 else f"{b >> 20} MiB"

rows = [("allscan", [("openmpi-vader", "exscan", 1.0), ("torch-gloo", "exscan_ring", 3.0)]),
        ("allgather-raw", [("openmpi-vader", "allgather", 1 / 1.5)]),
        ("allreduce", [("openmpi-vader", "allreduce", 1 / 1.5)])]
print("| seqpar op (IPC) | P | bytes/rank | seqpar median us | anchor | anchor median us | ratio (anchor/seqpar) | target | met |")
print("|---|---|---|---|---|---|---|---|---|")
for op, anchors in rows:
    for p in (2, 4, 8):
        for b in (256 << 10, 1 << 20, 4 << 20):
            s = seq.get((op, p, b))
            for impl, aop, target in anchors:
                a = anchor.get((impl, aop, p, b))
                if s is None or a is None:
                    print(f"| {op} | {p} | {kib(b)} | {s['time_us_median'] if s else 'n/a'} | {impl} {aop} | {a if a else 'n/a'} | n/a | >= {target:.2f} | n/a |")
                    continue
                ratio = a / s["time_us_median"]
                print(f"| {op} | {p} | {kib(b)} | {s['time_us_median']:.1f} | {impl} {aop} | {a:.1f} | {ratio:.2f} | >= {target:.2f} | {'yes' if ratio >= target else 'no'} |")
print()
print("| P=8 scan | bytes/rank | allscan us | allgather us | chain us | tree us | allscan busbw GB/s |")
print("|---|---|---|---|---|---|---|")
for b in (64 << 10, 256 << 10, 1 << 20, 4 << 20):
    vals = [p8.get((op, 8, b)) for op in ("allscan", "allgather", "chain", "tree")]
    cells = [f"{v['time_us_median']:.1f}" if v else "n/a" for v in vals]
    bw = f"{vals[0]['busbw_GBps']:.3f}" if vals[0] else "n/a"
    print(f"| 8 | {kib(b)} | " + " | ".join(cells) + f" | {bw} |")
