import sys,glob,statistics as st
d=sys.argv[1]; P=None
ev={}
for f in glob.glob(d+'/trace-r*.txt'):
    rows=[tuple(map(int,l.split())) for l in open(f)]
    r=rows[0][1]; ev[r]=rows
P=len(ev)
it_ev={}  # (rank,it)->list
for r,rows in ev.items():
    # last loop: last index of kind 7 a==0
    last=max(i for i,x in enumerate(rows) if x[2]==7 and x[3]==0)
    cur=None
    for x in rows[last:]:
        t,_,k,a=x
        if k==7: cur=a; it_ev[(r,cur)]=[]
        if cur is not None: it_ev[(r,cur)].append((t,k,a))
its=sorted({i for (_,i) in it_ev if i>=5})
per={r:{'s':[], 'rc':[], 'd':[], 'slp':[], 'sl_us':[], 'bexit':[]} for r in range(P)}
tot=[]; crit=[]
for i in its:
    e={r:it_ev[(r,i)] for r in range(P)}
    st_={r:next(t for t,k,a in e[r] if k==1) for r in range(P)}
    be={r:next(t for t,k,a in e[r] if k==8) for r in range(P)}
    t0=min(st_.values())
    dur=[]
    for r in range(P):
        s=st_[r]; d_=next(t for t,k,a in e[r] if k==3)
        rc=[t for t,k,a in e[r] if k==2]
        sl=0; n=0; ws=None
        for t,k,a in e[r]:
            if t<s or t>d_: continue
            if k==4: ws=t; n+=1
            if k==5 and ws: sl+=t-ws; ws=None
        per[r]['s'].append((s-t0)/1e3); per[r]['d'].append((d_-t0)/1e3)
        per[r]['rc'].append(((rc[-1]-t0)/1e3) if rc else 0)
        per[r]['slp'].append(n); per[r]['sl_us'].append(sl/1e3)
        dur.append((d_-s)/1e3)
    tot.append(max(dur)); crit.append(dur.index(max(dur)))
print("iters",len(its),"median of max-over-ranks %.1f us"%st.median(tot), "argmax rank counts", {r:crit.count(r) for r in range(P)})
print("rank  start  recv  done  sleeps  slept_us   (medians, us from first rank's start)")
for r in range(P):
    m=lambda k: st.median(per[r][k])
    print("%4d %6.1f %6.1f %6.1f %6.1f %8.1f"%(r,m('s'),m('rc'),m('d'),m('slp'),m('sl_us')))
