#!/usr/bin/env bash
# One session, one machine: the anchors (Open MPI vader, torch-gloo) and seqpar's collectives over
# Aeron IPC at the sizes issue 3's targets name (256 KiB..4 MiB per rank, P = 2, 4, 8), then the
# ratio table. ROUNDS > 1 alternates anchors and seqpar so drift hits both. ITERS (default 20, the
# anchors' own default) sets the timed iterations per size on both sides alike.
#   bash docs/perf/side-by-side.sh OUT_DIR [ROUNDS]      (needs ../shared/anchors and Debian's
#   openmpi-bin python3-mpi4py python3-torch python3-numpy; ~4 min per round on 2 cores)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
anchors="$repo/../shared/anchors"
out="${1:?usage: side-by-side.sh OUT_DIR [ROUNDS]}"
rounds="${2:-1}"
iters="${ITERS:-20}"
PY=/usr/bin/python3
stamp() { echo "$(date -u +%H:%M:%S) $* (load: $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/timings.txt"; }
mkdir -p "$out"
for ((round = 1; round <= rounds; round++)); do
  a="$out/round$round/anchors"
  mkdir -p "$a"
  rm -f "$a"/*.csv
  for n in 2 4 8; do
    stamp "round $round gloo $n"
    $PY "$anchors/gloo_bench.py" --world $n --ops exscan_ring --min-bytes 256K --max-bytes 4M \
      --iters "$iters" --csv "$a/gloo.csv" --meta "$a/gloo_w$n.json" > "$a/gloo_w$n.log" 2>&1
    stamp "round $round vader $n"
    timeout 600 mpirun --allow-run-as-root --oversubscribe -np $n --mca btl self,vader \
      $PY "$anchors/mpi_bench.py" --impl openmpi-vader --ops exscan,allgather,allreduce \
      --transport "btl self,vader (shared memory; single-copy: default CMA)" \
      --min-bytes 256K --max-bytes 4M --iters "$iters" --csv "$a/mpi.csv" --meta "$a/openmpi-vader_w$n.json" \
      > "$a/openmpi-vader_w$n.log" 2>&1
  done
  stamp "round $round seqpar"
  ITERS="$iters" bash "$repo/docs/perf/collectives.sh" "$out/round$round/seqpar" > /dev/null
  python3 "$repo/docs/perf/compare.py" "$out/round$round/seqpar" "$a" > "$out/round$round/ratios.md"
  stamp "round $round done"
done
