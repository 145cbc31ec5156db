#!/bin/bash
cd /tmp/exp/main
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
rounds=$1; P=$2; lo=$3; hi=$4; shift 4
for r in $(seq 1 $rounds); do
  for v in "$@"; do
    pat=${v%%:*}; e=${v#*:}; [ "$e" = "$v" ] && e=""
    out=$(env $e bin/seqpar bench collectives --op ${OP:-allscan} --ranks $P --transport ipc --min-bytes $lo --max-bytes $hi --factor ${F:-4} --warmup 5 --iters 100 --pattern $pat 2>/dev/null | awk '/^ +[0-9]/{printf "%s:%s/%s  ", $1/1024 "K", $4, $5}')
    echo "r$r P=$P $(printf %-40s $v) $out"
  done
done
