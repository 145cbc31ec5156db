import collections,sys,statistics
d=collections.defaultdict(list)
for l in open(sys.argv[1]):
    r,p,v,b,m,p99,w=l.split(); d[(int(p),int(b),v)].append(float(m))
for k in sorted(d): print(k, 'mean %.0f  median %.0f :'%(statistics.mean(d[k]),statistics.median(d[k])), ' / '.join('%.0f'%x for x in d[k]))
