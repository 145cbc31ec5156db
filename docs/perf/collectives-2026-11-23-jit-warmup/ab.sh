#!/usr/bin/env bash
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
out=${OUT:-/tmp/ab}; mkdir -p $out
for r in ${RS:-1 2 3}; do
  for op in ${OPS:-allscan}; do
  for p in ${PS:-4 8}; do
    for v in A B; do
      d=/tmp/bench/main; [ $v = B ] && d=/tmp/bench2/main
      (cd $d && bin/seqpar bench collectives --op $op --ranks $p --transport ipc --min-bytes 256K --max-bytes 4M --factor 4 --warmup 5 --iters 20 --format jsonl 2>/dev/null) > $out/r$r-$v-$op-p$p.jsonl
      echo "r$r $v $op P=$p $(python3 -c "
import json,sys
print(' '.join('%.0f'%json.loads(l)['time_us_median'] for l in open('$out/r$r-$v-$op-p$p.jsonl') if l.startswith('{')))")"
    done
  done
  done
done
