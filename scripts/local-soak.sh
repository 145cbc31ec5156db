#!/usr/bin/env bash
# Runs N consecutive short `seqpar local --workers 4` jobs, then two at once, and checks that every
# run succeeded and nothing leaked: no seqpar process, no /dev/shm/seqpar-<run-id>* directory, no
# temp files in the run directories. Usage: scripts/local-soak.sh [N=20] [RUNS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
RUNS=$(realpath -m "${2:-$(mktemp -d /tmp/seqpar-soak.XXXXXX)}")
mkdir -p "$RUNS"
JOB=(--workers 4 --steps 3 --layers 1 --d-model 32 --heads 2 --seq-len 512 --chunk 32 --quiet)
bin/seqpar --version >/dev/null   # build once, outside the timed runs
ok=0
start=$(date +%s)
for i in $(seq 1 "$N"); do
  if bin/seqpar local --runs-dir "$RUNS" "${JOB[@]}" > "$RUNS/run-$i.out" 2>&1; then
    ok=$((ok + 1))
  else
    echo "run $i failed (exit $?), see $RUNS/run-$i.out"
  fi
done
echo "consecutive: $ok/$N succeeded in $(( $(date +%s) - start )) s"
bin/seqpar local --runs-dir "$RUNS" "${JOB[@]}" > "$RUNS/concurrent-a.out" 2>&1 & a=$!
bin/seqpar local --runs-dir "$RUNS" "${JOB[@]}" --transport udp > "$RUNS/concurrent-b.out" 2>&1 & b=$!
ca=0; cb=0; wait $a || ca=$?; wait $b || cb=$?
echo "concurrent: exit codes $ca $cb"
sleep 1
left=$(grep -las "SEQPAR_RUN_DIR=$RUNS" /proc/[0-9]*/environ | cut -d/ -f3 | tr '\n' ' ' || true)
shm=$(for d in "$RUNS"/2*/; do ls -d /dev/shm/seqpar-"$(basename "$d")"* 2>/dev/null; done || true)
tmpfiles=$(find "$RUNS" -name '*.tmp' | head -5)
echo "leaked processes: ${left:-none}"
echo "leaked aeron dirs: ${shm:-none}"
echo "leftover temp files: ${tmpfiles:-none}"
[[ $ok -eq $N && $ca -eq 0 && $cb -eq 0 && -z "$left" && -z "$shm" && -z "$tmpfiles" ]]
