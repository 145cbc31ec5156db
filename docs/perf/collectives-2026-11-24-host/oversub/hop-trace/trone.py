import sys,glob
d=sys.argv[1]; want=int(sys.argv[2])
names={1:'START',2:'RECV',3:'DONE',4:'sleep',5:'wake',6:'ring',7:'BAR_IN',8:'BAR_OUT',9:'combine',10:'push',11:'ack'}
allv=[]
for f in glob.glob(d+'/trace-r*.txt'):
    rows=[tuple(map(int,l.split())) for l in open(f)]
    last=max(i for i,x in enumerate(rows) if x[2]==7 and x[3]==0)
    cur=None
    for t,r,k,a in rows[last:]:
        if k==7: cur=a
        if cur==want or (cur==want+1 and k==7): allv.append((t,r,k,a))
allv.sort(); t0=min(t for t,r,k,a in allv if k==8)
for t,r,k,a in allv:
    print("%8.1f  %s%s %d"%((t-t0)/1e3, '        '*r, names[k], a))
