#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <time.h>
static long ns(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1000000000L+t.tv_nsec;}
int main(int c,char**v){int cpu=atoi(v[1]);double secs=atof(v[2]);cpu_set_t s;CPU_ZERO(&s);CPU_SET(cpu,&s);sched_setaffinity(0,sizeof s,&s);
 long t0=ns(),prev=t0,end=t0+(long)(secs*1e9); long h[8]={0}; long lost=0; long maxg=0;
 while(1){long t=ns(); long g=t-prev; prev=t; if(t>end)break;
  if(g>2000){ lost+=g; if(g>maxg)maxg=g; int b=g<5000?0:g<10000?1:g<20000?2:g<50000?3:g<100000?4:g<1000000?5:6; h[b]++; }}
 printf("cpu%d: lost %.2f%% in gaps>2us; max %.1f us; gaps 2-5us %ld, 5-10 %ld, 10-20 %ld, 20-50 %ld, 50-100 %ld, 0.1-1ms %ld, >1ms %ld\n",cpu,100.0*lost/(end-t0),maxg/1e3,h[0],h[1],h[2],h[3],h[4],h[5],h[6]);}
