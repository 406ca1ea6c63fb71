#include <stdio.h>
#include <pthread.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
void* work(void*a){volatile double x=0; for(long i=0;i<300000000;i++)x+=1; return 0;}
int main(){for(int T=1;T<=2;T++){double t0=now();pthread_t th[2];for(int i=0;i<T;i++)pthread_create(&th[i],0,work,0);for(int i=0;i<T;i++)pthread_join(th[i],0);printf("T%d %.3f s\n",T,now()-t0);}}
