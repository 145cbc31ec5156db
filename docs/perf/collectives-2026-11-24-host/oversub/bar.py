import sys,statistics as st
P=int(sys.argv[2]); pre=sys.argv[1]
data={}
for r in range(P):
    lines=[l.strip() for l in open(f'{pre}-{r}') if len(l.strip())>3]
    d={}
    for l in lines[-5:]:
        d[l[0]]=[int(x) for x in l[2:-1].split(',')]
    data[r]=d
n=len(data[0]['T'])
delays={r:[] for r in range(P)}
for i in range(1,n-1):
    last=max(data[r]['E'][i-1] for r in range(P))
    for r in range(P):
        delays[r].append((data[r]['T'][i]-last)/1000)
for r in range(P):
    x=sorted(delays[r])
    print(f'r{r} barrier exit after last entry: median {st.median(x):.0f} p90 {x[int(.9*len(x))]:.0f} max {x[-1]:.0f}')
