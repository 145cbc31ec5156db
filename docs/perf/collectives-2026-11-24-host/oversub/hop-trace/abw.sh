#!/bin/bash
# usage: abw.sh ROUNDS P minB maxB variant... ; variant = build:OP:ENV1=a,b;ENV2=c  (build "-" = /tmp/b5 without env)
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
rounds=$1; P=$2; lo=$3; hi=$4; shift 4
for r in $(seq 1 $rounds); do
  for v in "$@"; do
    IFS=: read -r b op envs <<< "$v"
    IFS=';' read -ra ev <<< "$envs"
    out=$(cd /tmp/$b/main && env "${ev[@]}" bin/seqpar bench collectives --op $op --ranks $P --transport ipc --min-bytes $lo --max-bytes $hi --factor ${F:-4} --warmup 5 --iters ${ITERS:-100} 2>/dev/null | awk '/^ +[0-9]/{printf "%s:%s/%s w%s  ", $1/1024 "K", $4, $5, $NF}')
    echo "r$r P=$P $v $out"
  done
done
