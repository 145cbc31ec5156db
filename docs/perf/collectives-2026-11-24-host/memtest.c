/* Diagnostic, not part of the build (notes.txt item 2): zero and copy 4 MiB /dev/shm mappings
 * (12 of them, 48 MiB, so most are cold in a 32 MiB L3) with AVX stores, non-temporal stores, rep
 * stosb / rep movsb, clzero and glibc, 48 times each.
 *   gcc -O2 -mavx2 -o /tmp/memtest memtest.c && /tmp/memtest */
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
#define SZ (4u<<20)
#define SETS 12
static void fill_avx(char*p){ __m256i z=_mm256_setzero_si256(); for(size_t i=0;i<SZ;i+=32) _mm256_store_si256((__m256i*)(p+i),z);}
static void fill_nt(char*p){ __m256i z=_mm256_setzero_si256(); for(size_t i=0;i<SZ;i+=32) _mm256_stream_si256((__m256i*)(p+i),z); _mm_sfence();}
static void fill_stosb(char*p){ size_t n=SZ; asm volatile("rep stosb":"+D"(p),"+c"(n):"a"(0):"memory");}
static void fill_clzero(char*p){ for(size_t i=0;i<SZ;i+=64) asm volatile("clzero"::"a"(p+i):"memory"); _mm_sfence();}
static void fill_memset(char*p){ memset(p,0,SZ);}
static void copy_avx(char*d,char*s){ for(size_t i=0;i<SZ;i+=32) _mm256_store_si256((__m256i*)(d+i),_mm256_load_si256((__m256i*)(s+i)));}
static void copy_nt(char*d,char*s){ for(size_t i=0;i<SZ;i+=32) _mm256_stream_si256((__m256i*)(d+i),_mm256_load_si256((__m256i*)(s+i))); _mm_sfence();}
static void copy_memcpy(char*d,char*s){ memcpy(d,s,SZ);}
static void copy_movsb(char*d,char*s){ size_t n=SZ; asm volatile("rep movsb":"+D"(d),"+S"(s),"+c"(n)::"memory");}
int main(){
  char* m[SETS];
  for(int i=0;i<SETS;i++){char nm[64];sprintf(nm,"/dev/shm/nt-%d",i);int fd=open(nm,O_CREAT|O_RDWR,0600);ftruncate(fd,SZ);m[i]=mmap(0,SZ,PROT_READ|PROT_WRITE,MAP_SHARED,fd,0);close(fd);unlink(nm);memset(m[i],1,SZ);}
  const char* names[]={"avx","nt","stosb","clzero","memset"};
  void (*f[])(char*)={fill_avx,fill_nt,fill_stosb,fill_clzero,fill_memset};
  for(int rep=0;rep<4;rep++){
    for(int k=0;k<5;k++){double t=0;for(int it=0;it<48;it++){char*p=m[it%SETS];double t0=now();f[k](p);t+=now()-t0;}printf("fill %-7s %7.0f us  ",names[k],t/48);}
    printf("\n");
    const char* cn[]={"avx","nt","memcpy","movsb"};
    void (*c[])(char*,char*)={copy_avx,copy_nt,copy_memcpy,copy_movsb};
    for(int k=0;k<4;k++){double t=0;for(int it=0;it<48;it++){char*d=m[it%SETS];char*s=m[(it+5)%SETS];double t0=now();c[k](d,s);t+=now()-t0;}printf("copy %-7s %7.0f us  ",cn[k],t/48);}
    printf("\n");
  }
}
