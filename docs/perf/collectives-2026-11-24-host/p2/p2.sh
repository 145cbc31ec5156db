# usage: p2.sh LABEL [env...]; prints per-size medians of r0, r1, fill, and max
label=$1; shift
rm -f /tmp/raw.txt /tmp/fill-*
env "$@" SEQPAR_BENCH_FILL=/tmp/fill SEQPAR_BENCH_RAW=/tmp/raw.txt bin/seqpar bench collectives --op allscan --ranks 2 --transport ipc --min-bytes 256K --max-bytes 4M --factor 4 --warmup 5 --iters 100 > /dev/null 2>&1
python3 - "$label" <<'PY'
import sys,statistics as st
raw={}
for line in open('/tmp/raw.txt'):
    b,r,arr=line.split(' ',2)
    raw.setdefault(int(b),{})[int(r)]=[int(x)/1000 for x in arr.strip()[1:-1].split(',')]
fills=[[int(x)/1000 for x in l.strip()[1:-1].split(',')] for l in open('/tmp/fill-0') if len(l)>3 and l[0]=='[']
out=[]
for i,b in enumerate(sorted(raw)):
    r0,r1=raw[b][0],raw[b][1]; f=fills[-len(raw)+i]
    out.append('%dK: max %.0f r0 %.0f r1 %.0f fill %.0f'%(b>>10,st.median(map(max,r0,r1)),st.median(r0),st.median(r1),st.median(f)))
print(sys.argv[1].ljust(10),' | '.join(out))
PY
