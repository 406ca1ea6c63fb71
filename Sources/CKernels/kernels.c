// Micro-kernels for AVX-512, AVX2+FMA and baseline SSE (or any 128-bit vector ISA), written once with
// clang/gcc vector extensions and compiled per target with function attributes, then chosen at run
// time from CPUID. The widest tiles fill each ISA's register file: 8 x 48 (24 zmm accumulators), 4 x 24
// (12 ymm) and 4 x 12 (12 xmm); tiles of one and two vectors finish partial panels. (Using the narrower
// tiles throughout for products with few columns was tried: an 8 x 32 AVX-512 tile runs about 12%
// slower per column, which its smaller padding does not win back.)
#include "internal.h"

#include <pthread.h>
#include <string.h>

// acc = bias, acc += a[:, p] * b[p, col:col + NR] for p < kc, then c = acc or c += acc. Partial tiles
// (rows < MR or cols < NR) are stored through a local tile. The += contracts to fused multiply-adds
// where the target has them; each element's sum runs in the same order in every path.
#define DEFINE_MICRO_KERNEL(NAME, TARGET, VLEN, MR, NV)                                                     \
    typedef float NAME##_vector __attribute__((vector_size((VLEN) * 4), aligned(4)));                      \
    TARGET static void NAME(int kc, const float *a, const float *const *b, int col, float *c, int ldc,      \
                            int rows, int cols, const float *bias, int accumulate) {                        \
        NAME##_vector acc[MR][NV];                                                                          \
        for (int i = 0; i < (MR); i++) {                                                                    \
            float start = bias && i < rows ? bias[i] : 0.0f;                                                \
            for (int j = 0; j < (NV); j++) acc[i][j] = (NAME##_vector){0} + start;                          \
        }                                                                                                   \
        for (int p = 0; p < kc; p++) {                                                                      \
            const float *row = b[p] + col;                                                                  \
            NAME##_vector column[NV];                                                                       \
            for (int j = 0; j < (NV); j++) column[j] = *(const NAME##_vector *)(row + j * (VLEN));          \
            for (int i = 0; i < (MR); i++) {                                                                \
                NAME##_vector value = (NAME##_vector){0} + a[p * (MR) + i];                                 \
                for (int j = 0; j < (NV); j++) acc[i][j] += value * column[j];                              \
            }                                                                                               \
        }                                                                                                   \
        if (rows == (MR) && cols == (VLEN) * (NV)) {                                                        \
            for (int i = 0; i < (MR); i++)                                                                  \
                for (int j = 0; j < (NV); j++) {                                                            \
                    NAME##_vector *out = (NAME##_vector *)(c + i * ldc + j * (VLEN));                       \
                    *out = accumulate ? *out + acc[i][j] : acc[i][j];                                       \
                }                                                                                           \
            return;                                                                                         \
        }                                                                                                   \
        float tile[MR][(VLEN) * (NV)];                                                                      \
        memcpy(tile, acc, sizeof tile);                                                                     \
        for (int i = 0; i < rows; i++)                                                                      \
            for (int j = 0; j < cols; j++) c[i * ldc + j] = accumulate ? c[i * ldc + j] + tile[i][j] : tile[i][j]; \
    }

#if defined(__x86_64__)
DEFINE_MICRO_KERNEL(avx512_1, __attribute__((target("avx512f"))), 16, 8, 1)
DEFINE_MICRO_KERNEL(avx512_2, __attribute__((target("avx512f"))), 16, 8, 2)
DEFINE_MICRO_KERNEL(avx512_3, __attribute__((target("avx512f"))), 16, 8, 3)
DEFINE_MICRO_KERNEL(avx2_1, __attribute__((target("avx2,fma"))), 8, 4, 1)
DEFINE_MICRO_KERNEL(avx2_2, __attribute__((target("avx2,fma"))), 8, 4, 2)
DEFINE_MICRO_KERNEL(avx2_3, __attribute__((target("avx2,fma"))), 8, 4, 3)
#endif
DEFINE_MICRO_KERNEL(baseline_1, , 4, 4, 1)
DEFINE_MICRO_KERNEL(baseline_2, , 4, 4, 2)
DEFINE_MICRO_KERNEL(baseline_3, , 4, 4, 3)

static qc_kernel chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

// The widest kernel the instruction set allows (see qc_current_isa).
static void choose(void) {
    chosen = (qc_kernel){"baseline", 4, 12, 4, {baseline_1, baseline_2, baseline_3}};
#if defined(__x86_64__)
    qc_isa isa = qc_current_isa();
    if (isa >= QC_ISA_AVX512F) {
        chosen = (qc_kernel){"avx512", 8, 48, 16, {avx512_1, avx512_2, avx512_3}};
    } else if (isa == QC_ISA_AVX2) {
        chosen = (qc_kernel){"avx2", 4, 24, 8, {avx2_1, avx2_2, avx2_3}};
    }
#endif
}

const qc_kernel *qc_current_kernel(void) {
    pthread_once(&chosen_once, choose);
    return &chosen;
}
