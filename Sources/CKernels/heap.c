// The allocator policy interpreter runs want from glibc malloc. See CKernels.h.
#include <malloc.h>

#include "CKernels.h"

void qc_retain_freed_memory(void) {
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's ceiling for this setting on 64-bit
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}
