// Integer GEMM for the quantized ops: packing of 8-bit operands (minus their zero points, widened to
// int16, interleaved in pairs of consecutive k for the pmaddwd micro-kernels of ikernels.c) and the
// drivers for matrix products and convolutions. See CKernels.h.
//
// Every output element is an exact int32 sum, so results do not depend on how callers split the work.
#include "CKernels.h"
#include "internal.h"

#include <string.h>

static int pairs_of(int k) { return (k + 1) / 2; }

// Element `index` of an int8 (is_signed) or uint8 tensor.
static inline int element(const void *x, int is_signed, size_t index) {
    return is_signed ? ((const int8_t *)x)[index] : ((const uint8_t *)x)[index];
}

int qc_igemm_tile_rows(void) { return qc_current_int_kernel()->mr; }

int qc_igemm_tile_columns(void) { return qc_current_int_kernel()->nr; }

size_t qc_igemm_packed_a_size(int m, int k) {
    int mr = qc_current_int_kernel()->mr;
    return (size_t)((m + mr - 1) / mr) * mr * 2 * pairs_of(k);
}

void qc_igemm_pack_a(const void *a, int is_signed, const int32_t *zero_points, int m, int k, ptrdiff_t row_stride,
                     ptrdiff_t column_stride, int16_t *packed) {
    int mr = qc_current_int_kernel()->mr, pairs = pairs_of(k);
    for (int row = 0; row < m; row += mr)
        for (int p = 0; p < pairs; p++)
            for (int i = 0; i < mr; i++)
                for (int half = 0; half < 2; half++) {
                    int r = row + i, kk = 2 * p + half;
                    *packed++ = r < m && kk < k
                        ? (int16_t)(element(a, is_signed, (size_t)(r * row_stride + kk * column_stride)) - zero_points[r])
                        : 0;
                }
}

size_t qc_igemm_packed_b_size(int k, int n) {
    int nr = qc_current_int_kernel()->nr;
    return (size_t)((n + nr - 1) / nr) * nr * 2 * pairs_of(k);
}

void qc_igemm_pack_b(const void *b, int is_signed, const int32_t *zero_points, int k, int n, ptrdiff_t row_stride,
                     ptrdiff_t column_stride, int16_t *packed) {
    int nr = qc_current_int_kernel()->nr, pairs = pairs_of(k);
    for (int column = 0; column < n; column += nr)
        for (int p = 0; p < pairs; p++)
            for (int j = 0; j < nr; j++)
                for (int half = 0; half < 2; half++) {
                    int col = column + j, kk = 2 * p + half;
                    *packed++ = col < n && kk < k
                        ? (int16_t)(element(b, is_signed, (size_t)(kk * row_stride + col * column_stride)) - zero_points[col])
                        : 0;
                }
}

void qc_igemm(const int16_t *packed_a, int m, int k, const int16_t *packed_b, int n, int32_t *c, int ldc) {
    const qc_int_kernel *kernel = qc_current_int_kernel();
    int mr = kernel->mr, nr = kernel->nr, pairs = pairs_of(k);
    for (int start = 0; start < n; start += nr) {
        int width = qc_min(nr, n - start);
        qc_int_micro_kernel run = kernel->run[(width + kernel->vlen - 1) / kernel->vlen - 1];
        const int16_t *panel = packed_b + (size_t)(start / nr) * nr * 2 * pairs;
        for (int row = 0; row < m; row += mr)
            run(pairs, packed_a + (size_t)row * 2 * pairs, panel, c + (size_t)row * ldc + start, ldc, qc_min(mr, m - row),
                width);
    }
}

static int kernel_size(const qc_conv_geometry *g) { return g->kernel_d * g->kernel_h * g->kernel_w; }

size_t qc_iconv_scratch_size(const qc_conv_geometry *g) {
    int nr = qc_current_int_kernel()->nr;
    return (size_t)nr * 2 * pairs_of(g->channels * kernel_size(g)) + (size_t)6 * nr;
}

// The B panel of im2col(image - zero_point) for output positions [start, start + width): row (channel,
// kd, kh, kw) of column j is image[channel][od*sd - pd + kd*dd][oh*sh - ph + kh*dh][ow*sw - pw + kw*dw]
// minus the zero point, and 0 (the zero point itself) outside the image; columns past width are 0.
static void pack_image_panel(const void *image, int is_signed, int zero_point, const qc_conv_geometry *g, int start,
                             int width, int nr, int16_t *panel, int *origin) {
    int size = kernel_size(g), k = g->channels * size, khw = g->kernel_h * g->kernel_w;
    size_t plane = (size_t)g->in_d * g->in_h * g->in_w;
    int *od = origin, *oh = origin + nr, *ow = origin + 2 * nr;
    for (int j = 0; j < width; j++) {
        int position = start + j, w = position % g->out_w, rest = position / g->out_w;
        od[j] = rest / g->out_h * g->stride_d - g->pad_d;
        oh[j] = rest % g->out_h * g->stride_h - g->pad_h;
        ow[j] = w * g->stride_w - g->pad_w;
    }
    memset(panel, 0, (size_t)nr * 2 * pairs_of(k) * sizeof(int16_t));
    for (int kk = 0; kk < k; kk++) {
        int r = kk % size;
        int dd = r / khw * g->dilation_d, dh = r % khw / g->kernel_w * g->dilation_h, dw = r % g->kernel_w * g->dilation_w;
        size_t base = (size_t)(kk / size) * plane;
        int16_t *out = panel + (size_t)(kk / 2) * 2 * nr + (kk & 1);
        for (int j = 0; j < width; j++) {
            int id = od[j] + dd, ih = oh[j] + dh, iw = ow[j] + dw;
            if (id < 0 || id >= g->in_d || ih < 0 || ih >= g->in_h || iw < 0 || iw >= g->in_w) continue;
            out[2 * j] = (int16_t)(element(image, is_signed, base + ((size_t)id * g->in_h + ih) * g->in_w + iw) - zero_point);
        }
    }
}

void qc_iconv(const int16_t *packed_a, int m, const void *image, int is_signed, int zero_point, const qc_conv_geometry *g,
              int n0, int n1, int32_t *c, int ldc, int16_t *scratch) {
    int nr = qc_current_int_kernel()->nr, k = g->channels * kernel_size(g);
    int16_t *panel = scratch;
    int *origin = (int *)(scratch + (size_t)nr * 2 * pairs_of(k));
    for (int start = n0; start < n1; start += nr) {
        int width = qc_min(nr, n1 - start);
        pack_image_panel(image, is_signed, zero_point, g, start, width, nr, panel, origin);
        qc_igemm(packed_a, m, k, panel, width, c + (start - n0), ldc);
    }
}
