import os,time,sys
def snap():
    d={}
    for pid in os.listdir('/proc'):
        if not pid.isdigit(): continue
        try:
            comm=open(f'/proc/{pid}/comm').read().strip()
            if comm!='java': continue
            for tid in os.listdir(f'/proc/{pid}/task'):
                try:
                    name=open(f'/proc/{pid}/task/{tid}/comm').read().strip()
                    run,wait,sl=map(int,open(f'/proc/{pid}/task/{tid}/schedstat').read().split())
                    st=open(f'/proc/{pid}/task/{tid}/status').read()
                    vol=int(st.split('voluntary_ctxt_switches:')[1].split()[0]); nv=int(st.split('nonvoluntary_ctxt_switches:')[1].split()[0])
                    d[(pid,tid)]=(name,run,wait,sl,vol,nv)
                except Exception: pass
        except Exception: pass
    return d
a=snap(); time.sleep(float(sys.argv[1])); b=snap()
rows=[]
for k,v in b.items():
    if k in a:
        o=a[k]; dr=(v[1]-o[1])/1e6; dw=(v[2]-o[2])/1e6
        if dr>1 or dw>1: rows.append((dr,k[0],v[0],dw,v[3]-o[3],v[4]-o[4],v[5]-o[5]))
for r in sorted(rows,reverse=True): print('pid %s %-18s run %7.1f ms  wait %7.1f ms  slices %6d vol %6d invol %6d'%(r[1],r[2],r[0],r[3],r[4],r[5],r[6]))
