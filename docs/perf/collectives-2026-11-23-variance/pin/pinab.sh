#!/usr/bin/env bash
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
cd /tmp/bench3/main
out=${OUT:-/tmp/raw/pinab}; mkdir -p $out
for r in ${RS:-1 2 3 4}; do
  for op in ${OPS:-allscan}; do
  for p in ${PS:-4 8}; do
    for v in ${VS:-none pin}; do
      unset SEQPAR_PIN SEQPAR_ACKRING; [ $v = ack ] && export SEQPAR_ACKRING=1; [ $v = pin ] && export SEQPAR_PIN=1;
      bin/seqpar bench collectives --op $op --ranks $p --transport ipc --min-bytes 256K --max-bytes 4M --factor 4 --warmup 5 --iters 30 --format jsonl 2>/dev/null > $out/r$r-$v-$op-p$p.jsonl
      echo "r$r $v $op P=$p $(python3 -c "
import json
print(' '.join('%.0f/%.0f'%(j['time_us_median'],j['time_us_p99']) for j in (json.loads(l) for l in open('$out/r$r-$v-$op-p$p.jsonl') if l.startswith('{'))))")"
    done
  done
  done
done
