#include <sched.h>
#include <stdio.h>
#include <time.h>
int main(){struct timespec a,b;for(int r=0;r<3;r++){clock_gettime(CLOCK_MONOTONIC,&a);for(int i=0;i<100000;i++)sched_yield();clock_gettime(CLOCK_MONOTONIC,&b);printf("%.3f us/yield\n",((b.tv_sec-a.tv_sec)*1e9+(b.tv_nsec-a.tv_nsec))/1e5/1e3);}
for(int r=0;r<3;r++){struct timespec s={0,1000};clock_gettime(CLOCK_MONOTONIC,&a);for(int i=0;i<1000;i++)nanosleep(&s,0);clock_gettime(CLOCK_MONOTONIC,&b);printf("%.3f us/nanosleep(1us)\n",((b.tv_sec-a.tv_sec)*1e9+(b.tv_nsec-a.tv_nsec))/1e3/1e3);}}
