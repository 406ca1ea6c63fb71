// Integer micro-kernels for the quantized ops: int16 pairs multiplied and summed into int32 lanes by one
// multiply-add-pairs instruction (pmaddwd: AVX512BW, AVX2, SSE2 on x86-64; two widening multiplies on
// other targets), written once with vector extensions and compiled per target, with the float kernels'
// tile shapes (8 x 48, 4 x 24, 4 x 12). Operands hold 8-bit values minus their zero points (|v| <= 255),
// so a pair sums to at most 2 * 255 * 255 and every product and sum is exact in int32 (which wraps, as
// ONNX Runtime's does, only past 2^31: more than 33,000 extreme terms).
#include "internal.h"

#include <pthread.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// acc[i][j] += madd(pair of row i, pair column j) for every pair p, then c = acc (partial tiles through a
// local tile). `both` broadcasts row i's (k, k + 1) pair of int16 as one int32 to every lane.
#define DEFINE_INT_MICRO_KERNEL(NAME, TARGET, VLEN, MR, NV, MADD)                                          \
    typedef int32_t NAME##_lanes __attribute__((vector_size((VLEN) * 4)));                                 \
    TARGET static void NAME(int pairs, const int16_t *a, const int16_t *b, int32_t *c, int ldc, int rows,  \
                            int cols) {                                                                    \
        NAME##_lanes acc[MR][NV];                                                                          \
        for (int i = 0; i < (MR); i++)                                                                     \
            for (int j = 0; j < (NV); j++) acc[i][j] = (NAME##_lanes){0};                                  \
        for (int p = 0; p < pairs; p++) {                                                                  \
            const int16_t *row = b + (size_t)p * 6 * (VLEN);                                               \
            NAME##_lanes column[NV];                                                                       \
            for (int j = 0; j < (NV); j++) memcpy(&column[j], row + j * 2 * (VLEN), sizeof column[j]);     \
            for (int i = 0; i < (MR); i++) {                                                               \
                int32_t pair;                                                                              \
                memcpy(&pair, a + 2 * (p * (MR) + i), sizeof pair);                                        \
                NAME##_lanes both = (NAME##_lanes){0} + pair;                                              \
                for (int j = 0; j < (NV); j++) acc[i][j] += MADD(both, column[j]);                         \
            }                                                                                              \
        }                                                                                                  \
        if (rows == (MR) && cols == (VLEN) * (NV)) {                                                       \
            for (int i = 0; i < (MR); i++)                                                                 \
                for (int j = 0; j < (NV); j++) memcpy(c + i * ldc + j * (VLEN), &acc[i][j], sizeof acc[i][j]); \
            return;                                                                                        \
        }                                                                                                  \
        int32_t tile[MR][(VLEN) * (NV)];                                                                   \
        memcpy(tile, acc, sizeof tile);                                                                    \
        for (int i = 0; i < rows; i++) memcpy(c + i * ldc, tile[i], (size_t)cols * sizeof(int32_t));      \
    }

#if defined(__x86_64__)
#define MADD_512(x, y) ((__typeof__(x))_mm512_madd_epi16((__m512i)(x), (__m512i)(y)))
#define MADD_256(x, y) ((__typeof__(x))_mm256_madd_epi16((__m256i)(x), (__m256i)(y)))
#define MADD_128(x, y) ((__typeof__(x))_mm_madd_epi16((__m128i)(x), (__m128i)(y)))
DEFINE_INT_MICRO_KERNEL(int_avx512_1, __attribute__((target("avx512f,avx512bw"))), 16, 8, 1, MADD_512)
DEFINE_INT_MICRO_KERNEL(int_avx512_2, __attribute__((target("avx512f,avx512bw"))), 16, 8, 2, MADD_512)
DEFINE_INT_MICRO_KERNEL(int_avx512_3, __attribute__((target("avx512f,avx512bw"))), 16, 8, 3, MADD_512)
DEFINE_INT_MICRO_KERNEL(int_avx2_1, __attribute__((target("avx2"))), 8, 4, 1, MADD_256)
DEFINE_INT_MICRO_KERNEL(int_avx2_2, __attribute__((target("avx2"))), 8, 4, 2, MADD_256)
DEFINE_INT_MICRO_KERNEL(int_avx2_3, __attribute__((target("avx2"))), 8, 4, 3, MADD_256)
#define MADD_BASELINE MADD_128
#else
typedef int16_t qc_int16x8 __attribute__((vector_size(16)));
typedef int32_t qc_int32x4 __attribute__((vector_size(16)));

// pmaddwd on four lanes: each int32 lane of the result is lo(x) * lo(y) + hi(x) * hi(y).
static inline qc_int32x4 madd_generic(qc_int32x4 x, qc_int32x4 y) {
    qc_int16x8 x16 = (qc_int16x8)x, y16 = (qc_int16x8)y;
    qc_int32x4 xl = __builtin_convertvector(__builtin_shufflevector(x16, x16, 0, 2, 4, 6), qc_int32x4);
    qc_int32x4 xh = __builtin_convertvector(__builtin_shufflevector(x16, x16, 1, 3, 5, 7), qc_int32x4);
    qc_int32x4 yl = __builtin_convertvector(__builtin_shufflevector(y16, y16, 0, 2, 4, 6), qc_int32x4);
    qc_int32x4 yh = __builtin_convertvector(__builtin_shufflevector(y16, y16, 1, 3, 5, 7), qc_int32x4);
    return xl * yl + xh * yh;
}
#define MADD_BASELINE(x, y) madd_generic((x), (y))
#endif
DEFINE_INT_MICRO_KERNEL(int_baseline_1, , 4, 4, 1, MADD_BASELINE)
DEFINE_INT_MICRO_KERNEL(int_baseline_2, , 4, 4, 2, MADD_BASELINE)
DEFINE_INT_MICRO_KERNEL(int_baseline_3, , 4, 4, 3, MADD_BASELINE)

static qc_int_kernel chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

// The widest kernel the instruction set allows (see qc_current_isa): AVX-512 needs AVX512BW here.
static void choose(void) {
    chosen = (qc_int_kernel){"baseline", 4, 12, 4, {int_baseline_1, int_baseline_2, int_baseline_3}};
#if defined(__x86_64__)
    qc_isa isa = qc_current_isa();
    if (isa == QC_ISA_AVX512BW) {
        chosen = (qc_int_kernel){"avx512", 8, 48, 16, {int_avx512_1, int_avx512_2, int_avx512_3}};
    } else if (isa >= QC_ISA_AVX2) {
        chosen = (qc_int_kernel){"avx2", 4, 24, 8, {int_avx2_1, int_avx2_2, int_avx2_3}};
    }
#endif
}

const qc_int_kernel *qc_current_int_kernel(void) {
    pthread_once(&chosen_once, choose);
    return &chosen;
}
