#!/usr/bin/env python3
"""One ratio table over the rounds of docs/perf/side-by-side.sh: per point, seqpar and anchor
medians of every round, the ratio per round, and whether the target holds in every round.

usage: rounds.py OUT_DIR        (OUT_DIR/round*/seqpar/*.jsonl, OUT_DIR/round*/anchors/*.csv)
Rounds of several runs pool by linking them into one directory as round1, round2, ...
ratio = anchor median time / seqpar median time (> 1: seqpar faster).
"""
import csv, glob, json, os, sys

root = sys.argv[1]
rounds = sorted(d for d in glob.glob(os.path.join(root, "round*")) if os.path.isdir(d))
def load(d):
    out = {}
    for f in glob.glob(os.path.join(d, "*.jsonl")):
        for line in open(f):
            j = json.loads(line)
            out[(j["op"], j["ranks"], j["bytes"])] = j["time_us_median"]
    return out

# Ratio runs in seqpar/, the P = 8 scan comparison in seqpar/p8 (older runs: one directory).
seq, p8s, anchor = [], [], []
for r in rounds:
    s = load(os.path.join(r, "seqpar"))
    p8s.append(load(os.path.join(r, "seqpar", "p8")) or s)
    a = {}
    for name in ("mpi.csv", "gloo.csv"):
        p = os.path.join(r, "anchors", name)
        if os.path.exists(p):
            for row in csv.DictReader(open(p)):
                a[(row["impl"], row["op"], int(row["world"]), int(row["bytes_per_rank"]))] = float(row["median_us"])
    seq.append(s)
    anchor.append(a)

def kib(b):
    return f"{b // 1024} KiB" if b < 1 << 20 else f"{b >> 20} MiB"

def cells(vals, fmt):
    return " / ".join(fmt.format(v) if v is not None else "n/a" for v in vals)

rows = [("allscan", [("openmpi-vader", "exscan", 1.0), ("torch-gloo", "exscan_ring", 3.0)]),
        ("allgather-raw", [("openmpi-vader", "allgather", 1 / 1.5)]),
        ("allreduce", [("openmpi-vader", "allreduce", 1 / 1.5)])]
n = len(rounds)
print(f"Rounds: {n}; each cell lists round 1 / round 2 / ...\n")
print("| seqpar op (IPC) | P | bytes/rank | seqpar median us | anchor | anchor median us | ratio | target | met in every round | rounds met |")
print("|---|---|---|---|---|---|---|---|---|---|")
met_count = total = point_rounds_met = 0
for op, anchors in rows:
    for p in (2, 4, 8):
        for b in (256 << 10, 1 << 20, 4 << 20):
            sv = [s.get((op, p, b)) for s in seq]
            for impl, aop, target in anchors:
                av = [a.get((impl, aop, p, b)) for a in anchor]
                ratios = [x / y if x and y else None for x, y in zip(av, sv)]
                ok = all(r is not None and r >= target for r in ratios)
                rounds_met = sum(r is not None and r >= target for r in ratios)
                point_rounds_met += rounds_met
                total += 1
                met_count += ok
                print(f"| {op} | {p} | {kib(b)} | {cells(sv, '{:.1f}')} | {impl} {aop} | {cells(av, '{:.1f}')} | "
                      f"{cells(ratios, '{:.2f}')} | >= {target:.2f} | {'yes' if ok else 'no'} | {rounds_met} of {n} |")
print(f"\nTargets met in every round: {met_count} of {total}; "
      f"met per point and round: {point_rounds_met} of {total * n}.\n")
# allscan at P = 8 runs twice per round: also the ratio its comparison run would give (not counted).
second = []
for b in (256 << 10, 1 << 20, 4 << 20):
    sv = [s.get(("allscan", 8, b)) for s in p8s]
    av = [a.get(("openmpi-vader", "exscan", 8, b)) for a in anchor]
    second.append(f"{kib(b)} {cells([x / y if x and y else None for x, y in zip(av, sv)], '{:.2f}')}")
print("All-Scan P = 8 against vader exscan in the P = 8 comparison run (a second sample, not counted): "
      + "; ".join(second) + ".\n")
print("| P=8 scan | bytes/rank | allscan us | allgather us | chain us | tree us |")
print("|---|---|---|---|---|---|")
for b in (64 << 10, 256 << 10, 1 << 20, 4 << 20):
    row = [cells([s.get((op, 8, b)) for s in p8s], "{:.0f}") for op in ("allscan", "allgather", "chain", "tree")]
    print(f"| 8 | {kib(b)} | " + " | ".join(row) + " |")
