#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sched.h>
#include <time.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <stdatomic.h>
static long fw(atomic_int*a,int op,int v){return syscall(SYS_futex,a,op,v,0,0,0);}
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
int main(int c,char**v){int c0=atoi(v[1]),c1=atoi(v[2]);int mode=atoi(v[3]); int N=atoi(v[4]);
 atomic_int*w=mmap(0,4096,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_ANONYMOUS,-1,0);
 w[0]=0;
 int child=fork(); cpu_set_t s;CPU_ZERO(&s);CPU_SET(child?c0:c1,&s);sched_setaffinity(0,sizeof s,&s);
 int me=child?0:1; double t0=now();
 for(int i=0;i<N;i++){ int want=2*i+me;
   if(mode==0){ while(atomic_load(&w[0])!=want) fw(&w[0],FUTEX_WAIT,atomic_load(&w[0])==want?want:atomic_load(&w[0])); }
   else { while(atomic_load(&w[0])!=want) sched_yield(); }
   atomic_store(&w[0],want+1); if(mode==0) fw(&w[0],FUTEX_WAKE,1);
 }
 if(child){double t=now()-t0; printf("cpus %d,%d mode %s: %.2f us per one-way handoff\n",c0,c1,mode?"yield":"futex",t/(2*N));}
 return 0;}
