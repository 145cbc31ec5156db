# Diagnostic: DRAM bandwidth of one core (run once) and of both (run two at once), numpy arrays of
# 64 MiB (far beyond the 32 MiB L3). "r+w" counts the bytes read plus the bytes written.
#   python3 dram_bandwidth.py; python3 dram_bandwidth.py & python3 dram_bandwidth.py; wait
import numpy as np, time, sys
a=np.ones(16*1024*1024,dtype=np.float32); b=np.empty_like(a); c=np.ones_like(a)
for i in range(3): np.copyto(b,a)
t=time.perf_counter(); n=20
for i in range(n): np.copyto(b,a)
dt=(time.perf_counter()-t)/n
t=time.perf_counter()
for i in range(n): np.multiply(a,0.9,out=b); np.add(b,c,out=b)
dt2=(time.perf_counter()-t)/n
print(f"copy 64MiB {dt*1e3:.2f} ms = {2*64/1024/dt:.1f} GiB/s r+w ; scale+add {dt2*1e3:.2f} ms")
