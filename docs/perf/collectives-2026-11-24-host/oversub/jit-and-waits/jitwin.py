import glob,re,datetime,collections,sys
d=sys.argv[1]
wins=collections.defaultdict(list)  # window index -> (start,end) per pid
for f in glob.glob(d+'/blk-*.txt'):
    k=0; st=None
    for l in open(f):
        a=l.split()
        if a[0]=='BLK' and a[1]=='0': st=int(a[2])
        if a[0]=='END': wins[k].append((st,int(a[1]))); k+=1
comp=[]
for f in glob.glob(d+'/[0-9]*.log'):
    for l in open(f):
        m2=re.match(r'\[([^\]]+)\]\[[^\]]+\](.*)',l)
        if not m2: continue
        ts=datetime.datetime.fromisoformat(m2.group(1).replace('+0000','+00:00')).timestamp()*1000
        comp.append((ts,m2.group(2).strip()[:120]))
for k in sorted(wins):
    t0=min(a for a,b in wins[k]); t1=max(b for a,b in wins[k])
    ins=[x for x in comp if t0<=x[0]<t1]
    print('window',k,'%d ms'%(t1-t0),'compiles',len(ins),'tier4',sum(1 for x in ins if re.match(r'\d+\s+\S*\s*4\s',x[1])),'deopt',sum(1 for x in ins if 'not entrant' in x[1] and 'not used' not in x[1]))
    if len(sys.argv)>2:
        for x in ins: print('   ',x[1])
