// Which vector instruction set the kernels may use: detected once from CPUID and XCR0 (the registers
// the OS saves), and capped by QCONVERT_KERNELS (avx2, baseline) so tests can check every kernel on one
// machine. The float and integer micro-kernels (kernels.c, ikernels.c) both choose from it.
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

static qc_isa detected = QC_ISA_BASELINE;
static pthread_once_t detected_once = PTHREAD_ONCE_INIT;

static void detect(void) {
    const char *wanted = getenv("QCONVERT_KERNELS");
    if (wanted && strcmp(wanted, "baseline") == 0) return;
#if defined(__x86_64__)
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return;  // OSXSAVE
    int fma = (ecx >> 12) & 1;
    unsigned int xcr0, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0), "=d"(xcr0_high) : "c"(0));
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return;
    if ((xcr0 & 0x6) == 0x6 && (ebx & (1u << 5)) && fma) detected = QC_ISA_AVX2;
    if (wanted && strcmp(wanted, "avx2") == 0) return;
    if ((xcr0 & 0xE6) == 0xE6 && (ebx & (1u << 16))) detected = (ebx & (1u << 30)) ? QC_ISA_AVX512BW : QC_ISA_AVX512F;
#endif
}

qc_isa qc_current_isa(void) {
    pthread_once(&detected_once, detect);
    return detected;
}
