// Packing of A (weights, packed once) and the GEMM driver over B given as row pointers. See CKernels.h.
//
// Blocking: for each panel of NR output columns, for each block of KC rows of B, the micro-kernel runs
// down all row panels of A (A stays in L2, the KC x NR slice of B in L1). Each output element is
// accumulated in a fixed order (bias, then k ascending, KC at a time), whatever the caller's split of
// the columns, so results do not depend on the thread count.
#include "CKernels.h"
#include "internal.h"

#include <string.h>

int qc_gemm_tile_rows(void) { return qc_current_kernel()->mr; }

int qc_gemm_tile_columns(void) { return qc_current_kernel()->nr; }

size_t qc_gemm_packed_size(int m, int k) {
    int mr = qc_current_kernel()->mr;
    return (size_t)((m + mr - 1) / mr) * mr * k;
}

void qc_gemm_pack(const float *a, int m, int k, int row_stride, int column_stride, float *packed) {
    int mr = qc_current_kernel()->mr;
    for (int row = 0; row < m; row += mr)
        for (int p = 0; p < k; p++)
            for (int i = 0; i < mr; i++)
                *packed++ = row + i < m ? a[(size_t)(row + i) * row_stride + (size_t)p * column_stride] : 0.0f;
}

size_t qc_gemm_rows_scratch_size(void) { return (size_t)QC_KC * QC_MAX_NR + (size_t)QC_KC * 2; }

void qc_gemm_rows(const float *packed_a, int m, int k, const float *const *b, int col0, int n, const float *bias,
                  int accumulate, float *c, int ldc, float *scratch) {
    qc_multiply_rows(packed_a, m, k, b, col0, n, 0, bias, accumulate, c, ldc, scratch);
}

void qc_multiply_rows(const float *packed_a, int m, int k, const float *const *b, int col0, int n, int overread,
                      const float *bias, int accumulate, float *c, int ldc, float *scratch) {
    const qc_kernel *kernel = qc_current_kernel();
    int mr = kernel->mr, nr = kernel->nr;
    if (k == 0) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float start = bias ? bias[i] : 0.0f;
                c[(size_t)i * ldc + j] = accumulate ? c[(size_t)i * ldc + j] + start : start;
            }
        return;
    }
    float *panel = scratch;
    const float **panel_rows = (const float **)(scratch + (size_t)QC_KC * QC_MAX_NR);
    for (int start = 0; start < n; start += nr) {
        int width = qc_min(nr, n - start);
        for (int k0 = 0; k0 < k; k0 += QC_KC) {
            int kc = qc_min(QC_KC, k - k0);
            const float *const *rows = b + k0;
            int col = col0 + start;
            if (width < nr && !overread) {  // a last, partial panel is copied so that loads stay inside B's rows
                for (int p = 0; p < kc; p++) {
                    float *line = panel + (size_t)p * nr;
                    memcpy(line, b[k0 + p] + col, (size_t)width * sizeof(float));
                    memset(line + width, 0, (size_t)(nr - width) * sizeof(float));
                    panel_rows[p] = line;
                }
                rows = panel_rows;
                col = 0;
            }
            qc_micro_kernel run = qc_kernel_for(kernel, width);
            for (int row = 0; row < m; row += mr) {
                run(kc, packed_a + (size_t)row * k + (size_t)k0 * mr, rows, col, c + (size_t)row * ldc + start, ldc,
                    qc_min(mr, m - row), width, k0 == 0 && bias ? bias + row : NULL, accumulate || k0 > 0);
            }
        }
    }
}
