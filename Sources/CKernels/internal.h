// What the CKernels sources share: the micro-kernels, the choice among them, blocking constants.
#ifndef CKERNELS_INTERNAL_H
#define CKERNELS_INTERNAL_H

#include <stdint.h>

// c[i][j] (+)= bias[i] + sum_{p < kc} a[p * mr + i] * b[p][col + j] for i < rows, j < cols, where
// b[p] points at row p of B. Writes c (accumulate = 0) or adds to it (accumulate = 1); bias may be
// NULL. a holds an mr-row panel packed k-major; each B row must have as many readable floats from
// col as the kernel's vectors hold (nr for the widest).
typedef void (*qc_micro_kernel)(int kc, const float *a, const float *const *b, int col, float *c, int ldc,
                                int rows, int cols, const float *bias, int accumulate);

// The micro-kernels of one instruction set: tiles of mr rows of A by 1, 2 or 3 vectors of `vlen`
// columns of B (nr = 3 * vlen); the narrower ones finish a product's last, partial panel with less
// wasted work, and sum in the same order, so they give the same values.
typedef struct {
    const char *name;
    int mr, nr, vlen;
    qc_micro_kernel run[3];
} qc_kernel;

// The micro-kernel for a panel of `cols` (1 to nr) columns.
static inline qc_micro_kernel qc_kernel_for(const qc_kernel *kernel, int cols) {
    return kernel->run[(cols + kernel->vlen - 1) / kernel->vlen - 1];
}

// qc_gemm_rows, reading B's rows in place even for a last partial panel when `overread` says that
// nr floats from any column below n are readable.
void qc_multiply_rows(const float *packed_a, int m, int k, const float *const *b, int col0, int n, int overread,
                      const float *bias, int accumulate, float *c, int ldc, float *scratch);

// The fastest kernel the CPU and OS support, chosen once.
const qc_kernel *qc_current_kernel(void);

// Widest micro-kernel tile, and rows of B handled per pass (a KC x NR panel stays in L1).
enum { QC_MAX_NR = 48, QC_KC = 128 };

// p rounded up to a 64-byte boundary (scratch regions after the first; sizes include 16 floats of slack).
static inline float *qc_align(float *p) { return (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }

static inline int qc_min(int a, int b) { return a < b ? a : b; }
static inline int qc_max(int a, int b) { return a > b ? a : b; }
static inline int qc_floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

#endif
