// CPU feature queries the quantizer needs (the kernels pick their own code paths in kernels.c).
#include "include/CKernels.h"

#include <cpuid.h>

int qc_cpu_has_vnni(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
  if (ecx & (1u << 11)) return 1;  // AVX512_VNNI
  if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return 0;
  return (eax & (1u << 4)) ? 1 : 0;  // AVX_VNNI
}
