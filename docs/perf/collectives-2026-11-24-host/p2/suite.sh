# usage: suite.sh LABEL [env...]: P=2 medians (us) for 4K..4M, factor 4
label=$1; shift
line="$label"
for op in allscan chain allreduce allgather-raw; do
  env "$@" bin/seqpar bench collectives --op $op --ranks 2 --transport ipc --min-bytes 4K --max-bytes 4M --factor 4 --warmup 5 --iters 100 --format jsonl --out /tmp/s.jsonl > /dev/null 2>&1 || echo "FAIL $op"
  line="$line | $op $(python3 -c "
import json;print(' '.join('%.0f'%r['time_us_median'] for r in map(json.loads,open('/tmp/s.jsonl'))))")"
done
echo "$line"
