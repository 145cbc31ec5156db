#include <sys/prctl.h>
#include <stdio.h>
#include <time.h>
static double ns(struct timespec a, struct timespec b){return (b.tv_sec-a.tv_sec)*1e9+(b.tv_nsec-a.tv_nsec);}
int main(){struct timespec a,b;
 long reqs[]={1000,10000,20000,50000};
 for(int sl=0;sl<2;sl++){ if(sl) prctl(PR_SET_TIMERSLACK,1,0,0,0); printf("slack %d\n",prctl(PR_GET_TIMERSLACK,0,0,0,0));
 for(int r=0;r<4;r++){struct timespec s={0,reqs[r]};clock_gettime(CLOCK_MONOTONIC,&a);for(int i=0;i<500;i++)nanosleep(&s,0);clock_gettime(CLOCK_MONOTONIC,&b);printf(" req %ld us -> %.1f us\n",reqs[r]/1000,ns(a,b)/500/1e3);}}}
