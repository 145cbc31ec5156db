# Per timed size (between the SEQPAR-BEGIN/END trace markers that markers.py patches into
# BenchWorkload), CPU time and run-queue wait of every thread: python3 threads.py TRACE [TOP_N]
import re,sys,collections
f=sys.argv[1]
lines=open(f).read().splitlines()
pat=re.compile(r'^\s*(.+?)-(\d+)\s+\(\s*(\d+|-+)\)\s+\[(\d+)\]\s+\S+\s+([\d.]+): (\w+): (.*)$')
sw=re.compile(r'prev_comm=(.*) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+)')
wk=re.compile(r'comm=(.*) pid=(\d+) prio=\d+ target_cpu=(\d+)')
ev=[];tgid={};name={}
begins=[];ends=[]
for l in lines:
    m=pat.match(l)
    if not m: continue
    comm,tid,tg,cpu,ts,e,rest=m.groups()
    tid=int(tid); t=float(ts)
    if tg.isdigit(): tgid[tid]=int(tg)
    if e=='tracing_mark_write':
        rk=re.search(r'rank=(\d+)',rest).group(1)
        if 'SEQPAR-BEGIN' in rest: begins.append((t,rk,re.search(r'bytes=(\d+)',rest).group(1)))
        if 'SEQPAR-END' in rest: ends.append((t,rk))
        continue
    ev.append((t,int(cpu),e,rest,tid))
    if e=='sched_switch':
        m2=sw.match(rest); name[int(m2.group(2))]=m2.group(1); name[int(m2.group(5))]=m2.group(4)
sizes=[]
bysize=collections.defaultdict(list)
for (tb,rk,b) in begins:
    te=min([t for t,r in ends if r==rk and t>tb])
    bysize[b].append((tb,te))
for b,ps in bysize.items():
    sizes.append((max(x[0] for x in ps),min(x[1] for x in ps)))
sizes.sort()
def nm(x): return f"{name.get(x,'?')}[{x}/{tgid.get(x,'?')}]"
for (t0,t1) in sizes:
    cur={};since={};run=collections.Counter();state={};waitR=collections.Counter();nw=collections.Counter();mx=collections.defaultdict(float)
    for t,c,e,r,tid in ev:
        if e=='sched_switch':
            m=sw.match(r); p=int(m.group(2)); ps=m.group(3); n=int(m.group(5))
            if c in cur and t>=t0 and since[c]<=t1:
                run[(cur[c] if cur[c] else -1-c)]+= min(t,t1)-max(since[c],t0)
            cur[c]=n; since[c]=t
            state[p]=('R',t) if ps.startswith('R') else ('S',t)
            if n in state and state[n][0]=='R':
                w=t-state[n][1]
                if t0<=t<=t1: waitR[n]+=w; nw[n]+=1; mx[n]=max(mx[n],w)
            state[n]=('X',t)
        elif e.startswith('sched_wakeup'):
            m=wk.match(r); state[int(m.group(2))]=('R',t)
    print("window %.1f ms"%((t1-t0)*1e3))
    for k,v in run.most_common(int(sys.argv[2]) if len(sys.argv)>2 else 10):
        print(f"  {nm(k) if k>=0 else 'idle cpu%d'%(-1-k):42s} run {v*1e3:7.2f} ms  rq-wait {waitR[k]*1e3:7.2f} ms n={nw[k]} max={mx[k]*1e6:.0f}us")
