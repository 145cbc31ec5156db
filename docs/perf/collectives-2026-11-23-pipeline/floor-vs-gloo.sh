#!/usr/bin/env bash
# Rounds of: torch-gloo's exscan_ring, the scan floor (ScanFloor.java) and seqpar's All-Scan over
# Aeron IPC, at 4 MiB per rank for P = 4 and 8, 5 warm-ups + ITERS timed on each side (ScanFloor:
# 20 warm-ups). Needs the anchors' packages and a built seqpar (bin/seqpar).
#   bash docs/perf/collectives-2026-11-23-pipeline/floor-vs-gloo.sh OUT_DIR [ROUNDS]
#   python3 docs/perf/collectives-2026-11-23-pipeline/floor-table.py OUT_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
anchors="$repo/../shared/anchors"
out="${1:?usage: floor-vs-gloo.sh OUT_DIR [ROUNDS]}"
rounds="${2:-3}"
iters="${ITERS:-100}"
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin
classes="$out/classes"
mkdir -p "$out" "$classes"
"$J/javac" --add-modules jdk.incubator.vector -d "$classes" "$here/ScanFloor.java" 2> /dev/null
stamp() { echo "$(date -u +%H:%M:%S) $* (load: $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/timings.txt"; }
for ((round = 1; round <= rounds; round++)); do
  r="$out/round$round"
  mkdir -p "$r"
  for p in 4 8; do
    stamp "round $round gloo P=$p"
    /usr/bin/python3 "$anchors/gloo_bench.py" --world $p --ops exscan_ring --min-bytes 4M --max-bytes 4M \
      --iters "$iters" --csv "$r/gloo.csv" --meta "$r/gloo_w$p.json" > "$r/gloo_w$p.log" 2>&1
    stamp "round $round floor P=$p"
    for v in chain split; do
      for m in shm huge; do
        "$J/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$classes" \
          ScanFloor $p $v $m "$iters" 2> /dev/null >> "$r/floor.txt"
      done
    done
    stamp "round $round seqpar P=$p"
    "$repo/bin/seqpar" bench collectives --op allscan --ranks $p --transport ipc --min-bytes 4M \
      --max-bytes 4M --warmup 5 --iters "$iters" --format jsonl --out "$r/allscan_P$p.jsonl" > /dev/null
  done
done
stamp done
