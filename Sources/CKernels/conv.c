// Convolution as GEMM with B packed panel by panel straight from the image (implicit im2col), for the
// convolutions band.c does not cover (3-D). See CKernels.h.
#include "CKernels.h"
#include "internal.h"

#include <string.h>

enum { BLOCK_PANELS = 4 };

// One im2col row: its channel's offset in the image, its kernel offsets along depth and height
// (kd*dd, kh*dh), along width kw*dw - pad_w, and the outputs ow in [first_valid, end_valid) whose
// input ow*stride_w + offset lies inside the image row.
typedef struct {
    size_t channel;
    int d, h, offset, first_valid, end_valid;
} row_info;

static int kernel_size(const qc_conv_geometry *g) { return g->kernel_d * g->kernel_h * g->kernel_w; }

static void describe_rows(const qc_conv_geometry *g, row_info *rows) {
    int khw = g->kernel_h * g->kernel_w, size = kernel_size(g);
    size_t plane = (size_t)g->in_d * g->in_h * g->in_w;
    for (int k = 0; k < g->channels * size; k++) {
        int r = k % size, kd = r / khw, kh = r % khw / g->kernel_w, kw = r % g->kernel_w;
        int offset = kw * g->dilation_w - g->pad_w;
        rows[k] = (row_info){(size_t)(k / size) * plane, kd * g->dilation_d, kh * g->dilation_h, offset,
                             -qc_floor_div(offset, g->stride_w), qc_floor_div(g->in_w - 1 - offset, g->stride_w) + 1};
    }
}

// dst[panel][kk][j] = im2col[k0 + kk][col + panel * nr + j] for columns below col + width, else 0.
// The block's columns are cut into runs within one output row and one panel, so each row of B is a
// few copies.
static void pack_block(const float *image, const qc_conv_geometry *g, const row_info *info, int k0, int kc, int col,
                       int width, int nr, float *dst) {
    struct { int at, first, end, d, h; } runs[2 * BLOCK_PANELS * QC_MAX_NR];
    int count = 0;
    for (int lane = 0, p = col; lane < width; count++) {
        int ow = p % g->out_w, rest = p / g->out_w;
        int length = qc_min(qc_min(g->out_w - ow, width - lane), nr - lane % nr);
        runs[count].at = (lane / nr) * kc * nr + lane % nr - ow;
        runs[count].first = ow;
        runs[count].end = ow + length;
        runs[count].d = rest / g->out_h * g->stride_d - g->pad_d;
        runs[count].h = rest % g->out_h * g->stride_h - g->pad_h;
        lane += length;
        p += length;
    }
    int panels = (width + nr - 1) / nr, tail = width - (panels - 1) * nr, stride = g->stride_w;
    for (int kk = 0; kk < kc; kk++) {
        const row_info *row = info + k0 + kk;
        float *base = dst + (size_t)kk * nr;
        for (int i = 0; i < count; i++) {
            float *out = base + runs[i].at;
            int first = runs[i].first, end = runs[i].end;
            int id = runs[i].d + row->d, ih = runs[i].h + row->h;
            if (id < 0 || id >= g->in_d || ih < 0 || ih >= g->in_h) {
                memset(out + first, 0, (size_t)(end - first) * sizeof(float));
                continue;
            }
            const float *line = image + row->channel + ((size_t)id * g->in_h + ih) * g->in_w + row->offset;
            int lo = qc_min(qc_max(row->first_valid, first), end), hi = qc_max(qc_min(row->end_valid, end), lo);
            for (int ow = first; ow < lo; ow++) out[ow] = 0.0f;
            for (int ow = lo; ow < hi; ow++) out[ow] = line[ow * stride];
            for (int ow = hi; ow < end; ow++) out[ow] = 0.0f;
        }
        memset(base + (size_t)(panels - 1) * kc * nr + tail, 0, (size_t)(nr - tail) * sizeof(float));
    }
}

static size_t packed_scratch(const qc_conv_geometry *g) {
    size_t k = (size_t)g->channels * kernel_size(g);
    return (size_t)QC_KC * BLOCK_PANELS * QC_MAX_NR + 2 * QC_KC + k * (sizeof(row_info) / sizeof(float));
}

// Positions [n0, n1) through packed panels; c points at position n0.
static void conv_packed(const float *packed_a, int m, const float *image, const qc_conv_geometry *g, int n0, int n1,
                        const float *bias, float *c, int ldc, float *scratch) {
    const qc_kernel *kernel = qc_current_kernel();
    int mr = kernel->mr, nr = kernel->nr, k = g->channels * kernel_size(g);
    float *block = scratch;
    const float **rows = (const float **)(block + (size_t)QC_KC * BLOCK_PANELS * QC_MAX_NR);
    row_info *info = (row_info *)(rows + QC_KC);
    describe_rows(g, info);
    for (int start = n0; start < n1; start += BLOCK_PANELS * nr) {
        int width = qc_min(BLOCK_PANELS * nr, n1 - start);
        for (int k0 = 0; k0 < k; k0 += QC_KC) {
            int kc = qc_min(QC_KC, k - k0);
            pack_block(image, g, info, k0, kc, start, width, nr, block);
            for (int p = 0; p < kc; p++) rows[p] = block + (size_t)p * nr;
            for (int panel = 0; panel * nr < width; panel++) {
                int cols = qc_min(nr, width - panel * nr);
                qc_micro_kernel run = qc_kernel_for(kernel, cols);
                for (int row = 0; row < m; row += mr) {
                    run(kc, packed_a + (size_t)row * k + (size_t)k0 * mr, rows, panel * kc * nr,
                        c + (size_t)row * ldc + (start - n0) + panel * nr, ldc, qc_min(mr, m - row), cols,
                        k0 == 0 && bias ? bias + row : NULL, k0 > 0);
                }
            }
        }
    }
}

size_t qc_conv_scratch_size(const qc_conv_geometry *g) { return packed_scratch(g); }

void qc_conv(const float *packed_a, int m, const float *image, const qc_conv_geometry *g, int n0, int n1,
             const float *bias, float *c, int ldc, float *scratch) {
    if (n0 < n1) conv_packed(packed_a, m, image, g, n0, n1, bias, c, ldc, scratch);
}
