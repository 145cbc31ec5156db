import statistics as st
def load(f):
    d={}
    for l in open(f):
        if l[0] in 'SWIT' and len(l)>4: d.setdefault(l[0],[]).append([int(x) for x in l[2:-2].split(',')])
    return d
a=load('/tmp/fill-0'); b=load('/tmp/fill-1')
for k,size in zip(range(-3,0),['256K','1M','4M']):
    S=a['S'][k]; W=b['W'][k]; I=a['I'][k]; T0=a['T'][k]; T1=b['T'][k]
    lat=[(s-w)/1000 for s,w in zip(S,W)]
    skew=[(t1-t0)/1000 for t0,t1 in zip(T0,T1)]
    print(size,'ack latency med %.1f p90 %.1f | rank0 idle calls med %d | start skew (r1-r0) med %.1f'%(st.median(lat),sorted(lat)[90],st.median(I),st.median(skew)))
    print('   lat',' '.join('%.0f'%x for x in lat[:40]))
