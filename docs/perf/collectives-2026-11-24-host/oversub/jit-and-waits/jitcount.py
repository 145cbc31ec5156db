import glob,re,datetime,collections,sys
d=sys.argv[1]
blk={}
for f in glob.glob(d+'/blk-*.txt'):
    for l in open(f):
        _,i,t=l.split(); blk.setdefault(int(i),[]).append(int(t))
bounds=sorted((i,min(v)) for i,v in blk.items())
comp=[]
for f in glob.glob(d+'/[0-9]*.log'):
    for l in open(f):
        m2=re.match(r'\[([^\]]+)\]\[[^\]]+\](.*)',l)
        if not m2: continue
        ts=datetime.datetime.fromisoformat(m2.group(1).replace('+0000','+00:00')).timestamp()*1000
        comp.append((ts,m2.group(2).strip()[:110]))
t0=bounds[1][1]; t1=bounds[-1][1]
ins=[x for x in comp if t0<=x[0]<t1]
print('compiles in window (after block 0):',len(ins),' tier4:',sum(1 for x in ins if re.match(r'\d+\s+\S*\s*4\s',x[1])))
print('durations per block ms:',[bounds[k+1][1]-bounds[k][1] for k in range(len(bounds)-1)])
