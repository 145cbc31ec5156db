#!/bin/bash
cd /tmp/b1/main
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
OUT=$1; ROUNDS=${2:-3}; OP=${OP:-allscan}; PS=${PS:-4 8}; VARIANTS=${VARIANTS:-base 0.1 0.25}
for r in $(seq 1 $ROUNDS); do
  for p in $PS; do
    for v in $VARIANTS; do
      opt=""; [ $v != base ] && opt="-XX:CompileThresholdScaling=$v"
      JAVA_TOOL_OPTIONS="$opt" bin/seqpar bench collectives --op $OP --ranks $p --transport ipc --min-bytes 256K --max-bytes 4M --factor 4 --iters 100 --format jsonl 2>/dev/null \
        | python3 -c "
import sys,json
for l in sys.stdin:
  if l.startswith('{'):
    d=json.loads(l); print('$r $p $v',d['bytes'],d['time_us_median'],d['time_us_p99'],d['wrong'], flush=True)"
    done
  done
done >> $OUT
