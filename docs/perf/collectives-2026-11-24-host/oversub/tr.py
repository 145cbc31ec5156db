import sys,statistics as st
P=int(sys.argv[2]); pre=sys.argv[1]
data={}
for r in range(P):
    lines=[l.strip() for l in open(f'{pre}-{r}') if len(l.strip())>3]
    data[r]=[]
    for i in range(0,len(lines),5):
        d={}
        for l in lines[i:i+5]:
            d[l[0]]=[int(x) for x in l[2:-1].split(',')]
        data[r].append(d)
nsizes=len(data[0])
# sizes: last calls are the timed ones; settle/warm? take all
for s in range(nsizes):
    n=len(data[0][s]['T'])
    rows=[]
    mx=[]
    for i in range(n):
        t0=min(data[r][s]['T'][i] for r in range(P))
        mx.append(max(data[r][s]['E'][i]-data[r][s]['T'][i] for r in range(P))/1000)
        rows.append([(data[r][s]['T'][i]-t0, (data[r][s]['R'][i]-t0) if data[r][s]['R'][i] else 0, (data[r][s]['S'][i]-t0) if data[r][s]['S'][i] else 0, data[r][s]['E'][i]-t0, data[r][s]['Z'][i]) for r in range(P)])
    print(f'size#{s}: max median {st.median(mx):.0f} us  p90 {sorted(mx)[int(.9*n)]:.0f}')
    for r in range(P):
        col=lambda k:st.median(x[r][k] for x in rows)/1000
        print(f'  r{r}: start {col(0):6.1f} recv {col(1):6.1f} acked {col(2):6.1f} end {col(3):6.1f} sleeps {st.mean(x[r][4] for x in rows):.2f}')
    if len(sys.argv)>3:
        for i in range(n):
            if mx[i]>float(sys.argv[3]):
                print('   it',i,'max',round(mx[i]),' '.join('r%d[st %.0f cp %.0f dn %.0f end %.0f z%d]'%(r,rows[i][r][0]/1e3,rows[i][r][1]/1e3,rows[i][r][2]/1e3,rows[i][r][3]/1e3,rows[i][r][4]) for r in range(P)))
