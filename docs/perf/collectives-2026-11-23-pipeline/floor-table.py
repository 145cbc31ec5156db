#!/usr/bin/env python3
"""Per round: gloo exscan_ring, the scan floor variants and seqpar All-Scan at 4 MiB, P = 4 and 8,
with gloo / time (the ratio the 3x target is about).
    python3 floor-table.py OUT_DIR"""
import csv, json, pathlib, re, sys

out = pathlib.Path(sys.argv[1])
print("| round | P | gloo exscan_ring us | floor chain shm us | floor split shm us | floor chain huge us "
      "| floor split huge us | seqpar allscan us | gloo / chain shm | gloo / split shm | gloo / seqpar |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in sorted(out.glob("round*"), key=lambda p: int(p.name[5:])):
    gloo = {}
    with open(r / "gloo.csv") as f:
        for row in csv.DictReader(f):
            if row["op"] == "exscan_ring" and int(row["bytes_per_rank"]) == 4 << 20:
                gloo[int(row["world"])] = float(row["median_us"])
    floor = {}
    for line in (r / "floor.txt").read_text().splitlines():
        m = re.match(r"P=(\d+) variant=(\w+) memory=(\w+) median_us=(\d+)", line)
        if m:
            floor[(int(m[1]), m[2], m[3])] = float(m[4])
    for p in (4, 8):
        seq = [json.loads(l) for l in open(r / f"allscan_P{p}.jsonl") if l.strip()]
        s = next(x["time_us_median"] for x in seq if x["bytes"] == 4 << 20)
        g = gloo[p]
        f = lambda v, m: floor[(p, v, m)]
        print(f"| {r.name[5:]} | {p} | {g:.0f} | {f('chain','shm'):.0f} | {f('split','shm'):.0f} | "
              f"{f('chain','huge'):.0f} | {f('split','huge'):.0f} | {s:.0f} | {g / f('chain','shm'):.2f} | "
              f"{g / f('split','shm'):.2f} | {g / s:.2f} |")
