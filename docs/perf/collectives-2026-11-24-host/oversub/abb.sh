#!/bin/bash
# usage: abb.sh ROUNDS P minB maxB build... (build dirs /tmp/<b>/main); OP env
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
rounds=$1; P=$2; lo=$3; hi=$4; shift 4
for r in $(seq 1 $rounds); do
  for b in "$@"; do
    out=$(cd /tmp/$b/main && bin/seqpar bench collectives --op ${OP:-allscan} --ranks $P --transport ipc --min-bytes $lo --max-bytes $hi --factor ${F:-4} --warmup 5 --iters ${ITERS:-100} 2>/dev/null | awk '/^ +[0-9]/{printf "%s:%s/%s  ", $1/1024 "K", $4, $5}')
    echo "${OP:-allscan} r$r P=$P $b $out"
  done
done
