import glob, sys, collections
d = sys.argv[1]
ev = []
for f in glob.glob(d + '/trace-*.txt'):
    for line in open(f):
        e, t = map(int, line.split())
        ev.append((t, e // 100, e % 100))
ev.sort()
P = max(r for _, r, _ in ev) + 1
# pair events per rank
open_ = {}
combs = []
for t, r, e in ev:
    if e in (10, 30): open_[(r, e)] = t
    if e in (11, 31) and (r, e - 1) in open_:
        combs.append((open_.pop((r, e - 1)), t, r, e - 1))
durs = sorted(b - a for a, b, r, e in combs if e == 10)
print("combines", len(durs), "duration pct us:", [round(durs[int(len(durs) * q)] / 1e3) for q in (0.1, 0.3, 0.5, 0.7, 0.9, 0.99)])
big = [c for c in combs if c[1] - c[0] > (int(sys.argv[2]) if len(sys.argv) > 2 else 250_000)]
print("big combines", len(big))
r0starts = [t for t, r, e in ev if r == 0 and e == 1]
calls = []
for i in range(len(r0starts) - 1):
    cs = [c for c in big if r0starts[i] - 300_000 <= c[0] < r0starts[i + 1] - 300_000]
    if len(cs) >= P - 1:
        calls.append(cs)
print("calls", len(calls))
starts = collections.defaultdict(list); ends = collections.defaultdict(list); sleeps = collections.defaultdict(list)
for t, r, e in ev:
    if e == 1: starts[r].append(t)
    if e == 2: ends[r].append(t)
    if e == 20: sleeps[r].append(t)
import bisect
for call in calls[-int(sys.argv[3]) if len(sys.argv) > 3 else -8:]:
    t0 = min(c[0] for c in call) 
    # each rank's start: latest start before t0 + margin
    line = []
    print(f"--- call: first combine at 0; ", end="")
    spans = []
    for r in range(P):
        i = bisect.bisect_right(starts[r], t0 + 200_000) - 1
        s = starts[r][i] if i >= 0 else None
        j = bisect.bisect_left(ends[r], s) if s else None
        en = ends[r][j] if j is not None and j < len(ends[r]) else None
        spans.append((r, s, en))
    ts = min(s for _, s, _ in spans if s); te = max(e for _, _, e in spans if e)
    print(f"span {(te-ts)/1e3:.0f} us, max over ranks {max(e-s for _, s, e in spans)/1e3:.0f}")
    for r, s, en in spans:
        cs = " ".join(f"[{(a-ts)/1e3:.0f}-{(b-ts)/1e3:.0f}]" for a, b, rr, e in combs if rr == r and ts <= a <= te)
        fills = " ".join(f"fill[{(a-ts)/1e3:.0f}-{(b-ts)/1e3:.0f}]" for a, b, rr, e in combs if rr == r and e == 30 and ts - 1e6 <= a <= te)
        nsl = sum(1 for t in sleeps[r] if s <= t <= en)
        print(f"  r{r} start {(s-ts)/1e3:6.0f} end {(en-ts)/1e3:6.0f} sleeps {nsl:2d} {cs} {fills}")
