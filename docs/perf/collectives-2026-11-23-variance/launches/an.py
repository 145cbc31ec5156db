# Per launch: median over iterations of the per-iteration max over ranks, each rank's median, and
# the first 60 per-iteration maxima (us). python3 an.py launches/p4-*.txt (RAW lines of diagnostic.patch)
import sys,statistics
for f in sys.argv[1:]:
    per={}
    for l in open(f):
        p=l.split()
        r=int(p[1].split('=')[1]); t=[int(x)/1000 for x in p[6].split(',')]
        per[r]=t
    n=len(per[0]); mx=[max(per[r][i] for r in per) for i in range(n)]
    print(f, 'median %.0f'%statistics.median(mx), 'per-rank medians', ' '.join('%.0f'%statistics.median(per[r]) for r in sorted(per)))
    print('  series(max):', ' '.join('%.0f'%x for x in mx[:60]))
