#!/usr/bin/env bash
# Runs the seqpar side of the collectives comparison (docs/PERFORMANCE.md, "Collectives").
#   bash docs/perf/collectives.sh [OUT_DIR]        (default /tmp/seqpar-bench)
#   WARMUP=50 bash docs/perf/collectives.sh ...     (more untimed iterations per size: steady state)
#   ITERS=100 bash docs/perf/collectives.sh ...     (more timed iterations per size; default 20)
# Same protocol as ../shared/anchors: float32, 5 warm-up + ITERS timed iterations per size, a barrier
# before every iteration, per-iteration max over ranks, median over iterations, GB/s = 1e9 B/s.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-/tmp/seqpar-bench}"
mkdir -p "$out"
rm -f "$out"/*.jsonl
# The ratio runs (256 KiB..4 MiB, the anchors' sizes) write to OUT_DIR, the P = 8 scan comparison
# (64 KiB..4 MiB) to OUT_DIR/p8: both run allscan at P = 8, and one file name for both let the
# second run overwrite the first (before 2026-11-24 the ratio table showed the comparison run).
rm -rf "$out/p8"
mkdir -p "$out/p8"
run() { # op ranks min max dir
  echo "$(date -u +%H:%M:%S) $1 P=$2 $3..$4 (load: $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/timings.txt"
  "$repo/bin/seqpar" bench collectives --op "$1" --ranks "$2" --transport ipc --min-bytes "$3" \
    --max-bytes "$4" --factor 4 --warmup "${WARMUP:-5}" --iters "${ITERS:-20}" --format jsonl --out "$5/$1_P$2.jsonl" > /dev/null
}
for p in 2 4 8; do
  for op in allscan allgather-raw allreduce; do
    run "$op" "$p" 256K 4M "$out"
  done
done
for op in allscan allgather chain tree; do
  run "$op" 8 64K 4M "$out/p8"
done
echo "$(date -u +%H:%M:%S) done" | tee -a "$out/timings.txt"
