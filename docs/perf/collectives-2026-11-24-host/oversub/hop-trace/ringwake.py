import sys,glob,statistics as st
d=sys.argv[1]
ev=[]
for f in glob.glob(d+'/trace-r*.txt'):
    rows=[tuple(map(int,l.split())) for l in open(f)]
    last=max(i for i,x in enumerate(rows) if x[2]==7 and x[3]==0)
    first5=next(i for i,x in enumerate(rows[last:]) if x[2]==7 and x[3]==5)+last
    ev+=rows[first5:]
ev.sort()
wakes={}
for t,r,k,a in ev:
    if k==5: wakes.setdefault(r,[]).append(t)
import bisect
lat=[]
for t,r,k,a in ev:
    if k==6:
        w=wakes.get(a,[]); i=bisect.bisect_left(w,t)
        if i<len(w): lat.append((w[i]-t)/1e3)
lat.sort()
q=lambda p: lat[int(p*(len(lat)-1))]
print(d, "rings",len(lat),"ring->wake us: median %.1f p10 %.1f p90 %.1f max %.1f"%(q(.5),q(.1),q(.9),lat[-1]))
# idle spans: gaps between consecutive events of any rank
g=[(ev[i+1][0]-ev[i][0])/1e3 for i in range(len(ev)-1)]
print("  spans with no event from any rank: >=20us %d, >=50us %d, >=100us %d over %.1f ms"%(sum(x>=20 for x in g),sum(x>=50 for x in g),sum(x>=100 for x in g),(ev[-1][0]-ev[0][0])/1e6))
