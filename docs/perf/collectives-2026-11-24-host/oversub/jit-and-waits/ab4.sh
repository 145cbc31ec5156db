#!/bin/bash
# usage: ab4.sh OUT ROUNDS name=ENVSPEC ...   (ENVSPEC "" for base, else "VAR=val")
cd /tmp/b1/main
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
OUT=$1; ROUNDS=$2; shift 2; OP=${OP:-allscan}; PS=${PS:-4 8}
for r in $(seq 1 $ROUNDS); do
  for p in $PS; do
    for v in "$@"; do
      name=${v%%=*}; spec=${v#*=}
      env $spec bin/seqpar bench collectives --op $OP --ranks $p --transport ipc --min-bytes 256K --max-bytes 4M --factor 4 --iters 100 --format jsonl 2>/dev/null \
        | python3 -c "
import sys,json
for l in sys.stdin:
  if l.startswith('{'):
    d=json.loads(l); print('$r $p $name',d['bytes'],d['time_us_median'],d['time_us_p99'],d['wrong'], flush=True)"
    done
  done
done >> $OUT
