# Per size: median of the per-iteration max over ranks, and doorbell sleeps inside the timed calls
# (all ranks, per call) by length. python3 sl2.py ack/sl-*.txt (RAW lines of diagnostic.patch)
import sys,statistics,collections
for f in sys.argv[1:]:
    per=collections.defaultdict(dict)
    for l in (x for x in open(f) if " RESULT " in x):
        p=l.split(); r=int(p[1].split('=')[1]); b=int(p[3])
        per[b][r]=(p[6],int(p[9]),[int(x) for x in p[10].split(',')])
    for b in sorted(per):
        iters=len(per[b][0][0].split(','))
        mx=[max(int(per[b][r][0].split(',')[i]) for r in per[b])/1000 for i in range(iters)]
        h=[sum(per[b][r][2][q] for r in per[b])/iters for q in range(4)]
        print(f, b, 'median %.0f'%statistics.median(mx), 'sleeps/call all ranks %.1f'%(sum(per[b][r][1] for r in per[b])/iters), 'by length (<20us,<200us,<900us,timeout) per call:', ' '.join('%.1f'%x for x in h))
