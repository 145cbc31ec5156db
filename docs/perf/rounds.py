#!/usr/bin/env python3
"""One ratio table over the rounds of docs/perf/side-by-side.sh: per point, seqpar and anchor
medians of every round, the ratio per round, and whether the target holds in every round.

usage: rounds.py OUT_DIR [ROUNDS_PER_RUN]
       (OUT_DIR/round*/seqpar/*.jsonl, OUT_DIR/round*/anchors/*.csv)
Rounds of several runs pool by linking them into one directory as round1, round2, ...
ratio = anchor median time / seqpar median time (> 1: seqpar faster).

After the table, one line per point over all rounds: the geometric mean of the per-round ratios
with a 95% bootstrap interval (rounds resampled), and the one-sided Wilcoxon signed-rank p-value of
"log(ratio / target) <= 0" (exact; small p: the ratio is above the target beyond round-to-round
noise). Rounds of one run share that run's stretch of machine time, so with ROUNDS_PER_RUN (rounds
linked in run order) a second interval resamples whole runs instead of rounds.
"""
import csv, glob, json, math, os, random, re, sys

root = sys.argv[1]
per_run = int(sys.argv[2]) if len(sys.argv) > 2 else 0
def round_number(d):
    return int(re.sub(r"\D", "", os.path.basename(d)) or 0)
rounds = sorted((d for d in glob.glob(os.path.join(root, "round*")) if os.path.isdir(d)), key=round_number)
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
pooled = []
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
                pooled.append((op, p, b, impl, aop, target, [r for r in ratios if r is not None]))
                print(f"| {op} | {p} | {kib(b)} | {cells(sv, '{:.1f}')} | {impl} {aop} | {cells(av, '{:.1f}')} | "
                      f"{cells(ratios, '{:.2f}')} | >= {target:.2f} | {'yes' if ok else 'no'} | {rounds_met} of {n} |")
print(f"\nTargets met in every round: {met_count} of {total}; "
      f"met per point and round: {point_rounds_met} of {total * n}.\n")

def wilcoxon_greater(xs):
    """Exact one-sided p of the signed-rank statistic W+ for H0: median(xs) <= 0 (no ties assumed;
    zeros dropped)."""
    xs = [x for x in xs if x != 0]
    m = len(xs)
    if m == 0:
        return 1.0
    order = sorted(range(m), key=lambda i: abs(xs[i]))
    w_plus = sum(rank + 1 for rank, i in enumerate(order) if xs[i] > 0)
    counts = [1] + [0] * (m * (m + 1) // 2)  # subsets of ranks 1..m by their sum
    for r in range(1, m + 1):
        for total_ in range(len(counts) - 1, r - 1, -1):
            counts[total_] += counts[total_ - r]
    return sum(counts[w_plus:]) / 2 ** m

def geo_mean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))

rng = random.Random(1)
def interval(samples):
    boot = sorted(samples)
    return f"{boot[int(0.025 * len(boot))]:.2f}-{boot[int(0.975 * len(boot)) - 1]:.2f}"

runs_col = " | 95%, runs resampled" if per_run else ""
print("| seqpar op | P | bytes/rank | anchor | target | rounds | met | geo-mean ratio | 95%, rounds resampled | Wilcoxon p"
      + runs_col + " |")
print("|---|---|---|---|---|---|---|---|---|---|" + ("---|" if per_run else ""))
for op, p, b, impl, aop, target, rs in pooled:
    if not rs:
        continue
    by_round = interval(geo_mean([rng.choice(rs) for _ in rs]) for _ in range(2000))
    by_run = ""
    if per_run and len(rs) % per_run == 0:
        runs = [rs[i:i + per_run] for i in range(0, len(rs), per_run)]
        by_run = " | " + interval(
            geo_mean([x for run in (rng.choice(runs) for _ in runs) for x in run]) for _ in range(2000))
    elif per_run:
        by_run = " | n/a"
    p_value = wilcoxon_greater([math.log(r / target) for r in rs])
    met = sum(r >= target for r in rs)
    print(f"| {op} | {p} | {kib(b)} | {impl} {aop} | >= {target:.2f} | {len(rs)} | {met} | "
          f"{geo_mean(rs):.2f} | {by_round} | {p_value:.2g}{by_run} |")
print()
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
