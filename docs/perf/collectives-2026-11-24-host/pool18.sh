#!/usr/bin/env bash
# The 18 counted rounds of the six side-by-side runs of one collectives code (unchanged since
# 699cdc7), linked into one directory as round1..round18 in run order, then rounds.py over them.
#   bash docs/perf/collectives-2026-11-24-host/pool18.sh OUT_DIR > pooled-18-rounds.md
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: pool18.sh OUT_DIR}"
mkdir -p "$out"
i=0
for run in 699cdc7-iters100 4d9a524-iters100 3e23ead-iters100 269dc7f-iters100 269dc7f-iters100-run2 \
    1af4233-iters100; do
  for k in 1 2 3; do
    i=$((i + 1))
    ln -sfn "$here/side-by-side-$run/round$k" "$out/round$i"
  done
done
python3 "$here/../rounds.py" "$out" 3
