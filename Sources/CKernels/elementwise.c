// Elementwise float loops of the activation and arithmetic ops, compiled for AVX-512, AVX2 and
// baseline vectors and run on the instruction set the GEMM micro-kernels were chosen for (so
// QCONVERT_KERNELS selects these too, and tests can check each on one machine). Each formula is written
// exactly as the op's Swift formula (same operations in the same order, same NaN handling through the
// same comparisons) and contraction into FMA is off, so results are bit-identical to it on every
// instruction set. See CKernels.h.
#include <stdint.h>
#include <string.h>

#include "internal.h"

#pragma clang fp contract(off)

// Swift's max(a, b) and min(a, b) on floats, including which operand a NaN or a tie yields.
static inline __attribute__((always_inline)) float swift_max(float a, float b) { return b >= a ? b : a; }
static inline __attribute__((always_inline)) float swift_min(float a, float b) { return b < a ? b : a; }

// e^x as FastExp.swift computes it: x = n ln2 + r, a degree-7 Taylor polynomial for e^r, and 2^(n-1)
// built in the exponent bits.
static inline __attribute__((always_inline)) float fast_exp(float x) {
    const float shift = 12582912.0f;  // 1.5 * 2^23
    x = swift_min(swift_max(x, -86.6f), 88.73f);
    float shifted = x * 1.44269504f + shift;
    float n = shifted - shift;
    float r = (x - n * 0.693145751953125f) - n * 1.428606765330187e-6f;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1;
    p = p * r + 1;
    uint32_t shifted_bits, shift_bits, scale_bits;
    memcpy(&shifted_bits, &shifted, 4);
    memcpy(&shift_bits, &shift, 4);
    scale_bits = (shifted_bits - shift_bits + 126) << 23;
    float half_scale;
    memcpy(&half_scale, &scale_bits, 4);
    return p * half_scale * 2;
}

#define UNARY(expression)                                         \
    for (size_t i = 0; i < n; i++) {                              \
        float v = x[i];                                           \
        y[i] = (expression);                                      \
    }                                                             \
    return

// One loop per stride pattern, so each is a plain vector loop.
#define BINARY(operator)                                                              \
    if (a_step && b_step) {                                                           \
        for (size_t i = 0; i < n; i++) out[i] = a[i] operator b[i];                   \
    } else if (a_step) {                                                              \
        float bv = b[0];                                                              \
        for (size_t i = 0; i < n; i++) out[i] = a[i] operator bv;                     \
    } else if (b_step) {                                                              \
        float av = a[0];                                                              \
        for (size_t i = 0; i < n; i++) out[i] = av operator b[i];                     \
    } else {                                                                          \
        float v = a[0] operator b[0];                                                 \
        for (size_t i = 0; i < n; i++) out[i] = v;                                    \
    }                                                                                 \
    return

// qc_unary and qc_binary for one instruction set.
#define DEFINE_ELEMENTWISE(ISA, TARGET)                                                                      \
    TARGET static void unary_##ISA(qc_unary_op op, float p0, float p1, const float *restrict x,             \
                                   float *restrict y, size_t n) {                                           \
        switch (op) {                                                                                       \
        case QC_RELU: UNARY(swift_max(v, 0));                                                               \
        case QC_CLIP: UNARY(swift_min(swift_max(v, p0), p1));                                               \
        case QC_SIGMOID: UNARY(1 / (1 + fast_exp(-v)));                                                     \
        case QC_HARD_SIGMOID: UNARY(swift_max(0, swift_min(1, p0 * v + p1)));                               \
        case QC_HARD_SWISH: UNARY(v * swift_max(0, swift_min(1, v * (1.0f / 6) + 0.5f)));                   \
        case QC_EXP: UNARY(fast_exp(v));                                                                    \
        case QC_AFFINE: UNARY(v * p0 + p1);                                                                 \
        }                                                                                                   \
    }                                                                                                       \
    TARGET static void binary_##ISA(qc_binary_op op, const float *restrict a, int a_step,                   \
                                    const float *restrict b, int b_step, float *restrict out, size_t n) {   \
        switch (op) {                                                                                       \
        case QC_ADD: BINARY(+);                                                                             \
        case QC_SUB: BINARY(-);                                                                             \
        case QC_MUL: BINARY(*);                                                                             \
        case QC_DIV: BINARY(/);                                                                             \
        }                                                                                                   \
    }

#if defined(__x86_64__)
DEFINE_ELEMENTWISE(avx512, __attribute__((target("avx512f"))))
DEFINE_ELEMENTWISE(avx2, __attribute__((target("avx2"))))
#endif
DEFINE_ELEMENTWISE(baseline, )

void qc_unary(qc_unary_op op, float p0, float p1, const float *x, float *y, size_t n) {
#if defined(__x86_64__)
    switch (qc_current_kernel()->vlen) {
    case 16: unary_avx512(op, p0, p1, x, y, n); return;
    case 8: unary_avx2(op, p0, p1, x, y, n); return;
    }
#endif
    unary_baseline(op, p0, p1, x, y, n);
}

void qc_binary(qc_binary_op op, const float *a, int a_step, const float *b, int b_step, float *out, size_t n) {
#if defined(__x86_64__)
    switch (qc_current_kernel()->vlen) {
    case 16: binary_avx512(op, a, a_step, b, b_step, out, n); return;
    case 8: binary_avx2(op, a, a_step, b, b_step, out, n); return;
    }
#endif
    binary_baseline(op, a, a_step, b, b_step, out, n);
}
