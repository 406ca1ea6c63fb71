// What the CKernels sources share: the micro-kernels, the choice among them, blocking constants.
#ifndef CKERNELS_INTERNAL_H
#define CKERNELS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "CKernels.h"

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

// Instruction sets the kernels are compiled for, in increasing order (AVX512BW adds the 16-bit integer
// operations the integer kernels need to AVX512F).
typedef enum { QC_ISA_BASELINE, QC_ISA_AVX2, QC_ISA_AVX512F, QC_ISA_AVX512BW } qc_isa;

// The widest instruction set the CPU and OS support, capped by QCONVERT_KERNELS (isa.c); detected once.
qc_isa qc_current_isa(void);

// c[i][j] = sum_{p < pairs} a[p][i][0] * b[p][j][0] + a[p][i][1] * b[p][j][1] in int32 for i < rows,
// j < cols: a holds an mr-row panel of int16 pairs (two consecutive k) packed k-major, b a panel of
// pairs for the kernel's nr columns (a pair row of 2 * nr int16 per p, the columns past cols zero).
typedef void (*qc_int_micro_kernel)(int pairs, const int16_t *a, const int16_t *b, int32_t *c, int ldc, int rows,
                                    int cols);

// The integer micro-kernels of one instruction set: tiles of mr rows by 1, 2 or 3 vectors of `vlen`
// int32 columns (nr = 3 * vlen), as for the float kernels.
typedef struct {
    const char *name;
    int mr, nr, vlen;
    qc_int_micro_kernel run[3];
} qc_int_kernel;

// The fastest integer kernel the CPU and OS support, chosen once.
const qc_int_kernel *qc_current_int_kernel(void);

// Widest micro-kernel tile, and rows of B handled per pass (a KC x NR panel stays in L1).
enum { QC_MAX_NR = 48, QC_KC = 128 };

// p rounded up to a 64-byte boundary (scratch regions after the first; sizes include 16 floats of slack).
static inline float *qc_align(float *p) { return (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }

static inline int qc_min(int a, int b) { return a < b ? a : b; }
static inline int qc_max(int a, int b) { return a > b ? a : b; }
static inline int qc_floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// A plane padded for a windowed kernel (window.c): `phases` blocks (one per column phase) of depth x
// height lines of `width` floats, and the kernel's number of taps.
typedef struct {
    int depth, height, width, phases, taps;
    size_t block;
} qc_padded;

// Up to four consecutive output lines (line r reads rows[t] + r * pitch per tap t and writes
// y + r * width), the first of them at (od, oh).
typedef void (*qc_lines_kernel)(const float *const *rows, size_t pitch, int lines, int taps, int width, float *y,
                                int od, int oh, const void *context);

qc_padded qc_padded_shape(const qc_conv_geometry *g);
// Floats of scratch a padded plane and its tap tables take.
size_t qc_padded_scratch_size(const qc_conv_geometry *g);
// Where in the scratch the per-tap row pointers go (taps pointers, then taps offsets).
const float **qc_padded_rows(qc_padded s, float *scratch);
// Each tap's (kd, kh, kw order) offset in the padded volume.
void qc_padded_offsets(const qc_conv_geometry *g, qc_padded s, size_t *offsets);
// Fills the padded volume with `fill`, then copies plane x (in_d x in_h x in_w) into it.
void qc_padded_fill(const float *x, const qc_conv_geometry *g, qc_padded s, float fill, float *scratch);
// Runs `lines` over all output lines of a filled padded plane, four lines at a time.
void qc_padded_each_lines(const qc_conv_geometry *g, qc_padded s, const float *scratch, const size_t *offsets,
                          const float **rows, float *y, qc_lines_kernel lines, const void *context);

#endif
