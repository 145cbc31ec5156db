#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sched.h>
#include <time.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <stdatomic.h>
/* sched_yield ping-pong on one CPU: two threads of one process vs two processes */
static atomic_int *w; static int N;
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
static void pin(int c){cpu_set_t s;CPU_ZERO(&s);CPU_SET(c,&s);sched_setaffinity(0,sizeof s,&s);}
static void loop(int me){for(int i=0;i<N;i++){int want=2*i+me;while(atomic_load(w)!=want)sched_yield();atomic_store(w,want+1);}}
static void*th(void*a){pin(0);loop(1);return 0;}
int main(int c,char**v){N=atoi(v[2]);int threads=atoi(v[1]);
 w=mmap(0,4096,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_ANONYMOUS,-1,0);*w=0;
 double t0=now();
 if(threads){pthread_t t;pthread_create(&t,0,th,0);pin(0);loop(0);pthread_join(t,0);}
 else{int ch=fork();pin(0);loop(ch?0:1);if(!ch)return 0;wait(0);}
 printf("%s: %.2f us per one-way yield handoff on one CPU\n",threads?"threads":"processes",(now()-t0)/(2*N));}
