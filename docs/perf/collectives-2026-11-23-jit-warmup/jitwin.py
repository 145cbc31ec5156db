import re,sys
tr=open(sys.argv[1]).read().splitlines()
win={}
for l in tr:
    m=re.search(r'\(\s*(\d+)\).*SEQPAR-(BEGIN|END) rank=(\d+)(?: bytes=(\d+))? up=(\d+)',l)
    if m:
        tg,kind,r,b,up=m.groups()
        if kind=='BEGIN': win.setdefault(r,[]).append([tg,b,int(up),None])
        else: win[r][-1][3]=int(up)
for r in sorted(win):
    for tg,b,t0,t1 in win[r]:
        lines=open('/tmp/trace/jit-%s.log'%tg).read().splitlines()
        hits=[]
        for l in lines:
            m=re.match(r'\[([\d.]+)s\]',l)
            if m and t0<=float(m.group(1))*1000<=t1 and 'checkScan' not in l: hits.append(l)
        print('rank',r,'bytes',b,'ms',t1-t0,'compiles',len(hits))
        for h in hits[:6]: print('   ',h[:150])
