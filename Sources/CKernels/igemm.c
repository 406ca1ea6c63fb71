// Integer GEMM for the quantized ops: packing of 8-bit operands (minus their zero points, widened to
// int16, interleaved in pairs of consecutive k for the pmaddwd micro-kernels of ikernels.c) and the
// driver for matrix products (convolutions: iconv.c). See CKernels.h.
//
// Every output element is an exact int32 sum, so results do not depend on how callers split the work.
#include "CKernels.h"
#include "internal.h"

#include <string.h>


int qc_igemm_tile_rows(void) { return qc_current_int_kernel()->mr; }

int qc_igemm_tile_columns(void) { return qc_current_int_kernel()->nr; }

size_t qc_igemm_packed_a_size(int m, int k) {
    int mr = qc_current_int_kernel()->mr;
    return (size_t)((m + mr - 1) / mr) * mr * 2 * qc_pairs(k);
}

void qc_igemm_pack_a(const void *a, int is_signed, const int32_t *zero_points, int m, int k, ptrdiff_t row_stride,
                     ptrdiff_t column_stride, int16_t *packed) {
    int mr = qc_current_int_kernel()->mr, pairs = qc_pairs(k);
    for (int row = 0; row < m; row += mr)
        for (int p = 0; p < pairs; p++)
            for (int i = 0; i < mr; i++)
                for (int half = 0; half < 2; half++) {
                    int r = row + i, kk = 2 * p + half;
                    *packed++ = r < m && kk < k
                        ? (int16_t)(qc_element(a, is_signed, (size_t)(r * row_stride + kk * column_stride)) - zero_points[r])
                        : 0;
                }
}

size_t qc_igemm_packed_b_size(int k, int n) {
    int nr = qc_current_int_kernel()->nr;
    return (size_t)((n + nr - 1) / nr) * nr * 2 * qc_pairs(k);
}

void qc_igemm_pack_b(const void *b, int is_signed, const int32_t *zero_points, int k, int n, ptrdiff_t row_stride,
                     ptrdiff_t column_stride, int16_t *packed) {
    int nr = qc_current_int_kernel()->nr, pairs = qc_pairs(k);
    for (int column = 0; column < n; column += nr)
        for (int p = 0; p < pairs; p++)
            for (int j = 0; j < nr; j++)
                for (int half = 0; half < 2; half++) {
                    int col = column + j, kk = 2 * p + half;
                    *packed++ = col < n && kk < k
                        ? (int16_t)(qc_element(b, is_signed, (size_t)(kk * row_stride + col * column_stride)) - zero_points[col])
                        : 0;
                }
}

void qc_igemm(const int16_t *packed_a, int m, int k, const int16_t *packed_b, int n, int32_t *c, int ldc) {
    const qc_int_kernel *kernel = qc_current_int_kernel();
    int mr = kernel->mr, nr = kernel->nr, pairs = qc_pairs(k);
    for (int start = 0; start < n; start += nr) {
        int width = qc_min(nr, n - start);
        qc_int_micro_kernel run = kernel->run[(width + kernel->vlen - 1) / kernel->vlen - 1];
        const int16_t *panel = packed_b + (size_t)(start / nr) * nr * 2 * pairs;
        for (int row = 0; row < m; row += mr)
            run(pairs, packed_a + (size_t)row * 2 * pairs, panel, c + (size_t)row * ldc + start, ldc, qc_min(mr, m - row),
                width);
    }
}
