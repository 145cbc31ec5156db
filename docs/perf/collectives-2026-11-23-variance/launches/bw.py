# Memory-bandwidth probe: 1 MiB and 64 MiB numpy copies once a second. python3 bw.py SECONDS
import numpy as np, time
a=np.ones(256*1024,dtype=np.float32); b=np.empty_like(a)
A=np.ones(16*1024*1024,dtype=np.float32); B=np.empty_like(A)
t_end=time.time()+float(__import__('sys').argv[1])
while time.time()<t_end:
    ts=[]
    for _ in range(50):
        t=time.perf_counter(); np.copyto(b,a); ts.append(time.perf_counter()-t)
    T=[]
    for _ in range(3):
        t=time.perf_counter(); np.copyto(B,A); T.append(time.perf_counter()-t)
    print('%s 1MiB copy median %.0f us  64MiB copy min %.1f ms'%(time.strftime('%H:%M:%S'),sorted(ts)[25]*1e6,min(T)*1e3),flush=True)
    time.sleep(1)
