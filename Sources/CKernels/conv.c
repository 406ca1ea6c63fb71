// Convolution as GEMM without a full im2col matrix. See CKernels.h.
//
// 1-D and 2-D convolutions read B straight from a zero-padded copy of a band of input rows, laid out
// so that every im2col row is a shifted view of it (see band_layout); 3-D convolutions pack B panel by
// panel from the image (implicit im2col).
#include "CKernels.h"
#include "internal.h"

#include <string.h>

enum { BLOCK_PANELS = 4, BAND_FLOATS = 1 << 18 };

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
                for (int row = 0; row < m; row += mr) {
                    kernel->run(kc, packed_a + (size_t)row * k + (size_t)k0 * mr, rows, panel * kc * nr,
                                c + (size_t)row * ldc + (start - n0) + panel * nr, ldc, qc_min(mr, m - row),
                                qc_min(nr, width - panel * nr), k0 == 0 && bias ? bias + row : NULL, k0 > 0);
                }
            }
        }
    }
}

// Whether the band path applies: 1-D and 2-D convolutions (no depth).
static int banded(const qc_conv_geometry *g) {
    return g->in_d == 1 && g->out_d == 1 && g->kernel_d == 1;
}

// The layout of a band of output rows. The input is copied into planes of `rows` lines of `width`
// floats: one plane per (channel, kh, phase) where phase = column mod stride_w (deinterleaving the
// strided columns), except that with stride_h 1 the kh share a plane of rows + halo lines. Tap
// (c, kh, kw) then reads plane (c, kh, (kw*dw) mod sw) from line kh*dh (stride_h 1) shifted by
// (kw*dw) div sw, and output (r, ow) sits at column r * width + ow of that row: computing `width`
// columns per output row (the extra ones are dropped) makes every im2col row a plain shifted view.
typedef struct {
    int width, lines, kh_planes, rows;
} band_layout;

static band_layout layout(const qc_conv_geometry *g, int rows) {
    band_layout b;
    b.width = g->out_w + (g->kernel_w - 1) * g->dilation_w / g->stride_w;
    b.kh_planes = g->stride_h == 1 ? 1 : g->kernel_h;
    b.rows = rows;
    b.lines = rows + (g->stride_h == 1 ? (g->kernel_h - 1) * g->dilation_h : 0);
    return b;
}

static size_t band_floats(const qc_conv_geometry *g, band_layout b) {
    return (size_t)g->channels * b.kh_planes * g->stride_w * b.lines * b.width + b.width + QC_MAX_NR;
}

// Output rows per band: the band holds about BAND_FLOATS floats.
static int band_rows(const qc_conv_geometry *g) {
    band_layout one = layout(g, 1);
    size_t per_row = (size_t)g->channels * one.kh_planes * g->stride_w * one.width;
    int halo = one.lines - 1;
    return qc_min(qc_max(1, (int)(BAND_FLOATS / qc_max(1, (int)per_row)) - halo), g->out_h);
}

static size_t band_scratch(int m, const qc_conv_geometry *g) {
    band_layout b = layout(g, band_rows(g));
    size_t k = (size_t)g->channels * kernel_size(g);
    return band_floats(g, b) + (size_t)m * b.rows * b.width + 2 * k + qc_gemm_rows_scratch_size() + 64;
}

// Copies input rows into the band's planes (zero outside the image).
static void fill_band(const float *image, const qc_conv_geometry *g, band_layout b, int top, float *band) {
    int sw = g->stride_w;
    for (int ch = 0; ch < g->channels; ch++)
        for (int kh = 0; kh < b.kh_planes; kh++)
            for (int phase = 0; phase < sw; phase++) {
                float *plane = band + (((size_t)ch * b.kh_planes + kh) * sw + phase) * b.lines * b.width;
                for (int line = 0; line < b.lines; line++) {
                    float *out = plane + (size_t)line * b.width;
                    int ih = g->stride_h == 1 ? top + line - g->pad_h : (top + line) * g->stride_h - g->pad_h + kh * g->dilation_h;
                    if (ih < 0 || ih >= g->in_h) {
                        memset(out, 0, (size_t)b.width * sizeof(float));
                        continue;
                    }
                    const float *in = image + ((size_t)ch * g->in_h + ih) * g->in_w;
                    int offset = phase - g->pad_w;  // column q reads in[q * sw + offset]
                    int lo = qc_min(qc_max(-qc_floor_div(offset, sw), 0), b.width);
                    int hi = qc_max(qc_min(qc_floor_div(g->in_w - 1 - offset, sw) + 1, b.width), lo);
                    memset(out, 0, (size_t)lo * sizeof(float));
                    if (sw == 1) {
                        memcpy(out + lo, in + lo + offset, (size_t)(hi - lo) * sizeof(float));
                    } else {
                        for (int q = lo; q < hi; q++) out[q] = in[q * sw + offset];
                    }
                    memset(out + hi, 0, (size_t)(b.width - hi) * sizeof(float));
                }
            }
    memset(band + band_floats(g, b) - b.width - QC_MAX_NR, 0, (size_t)(b.width + QC_MAX_NR) * sizeof(float));
}

// Output rows [r0, r1) of a banded convolution; c points at position r0 * out_w.
static void conv_banded(const float *packed_a, int m, const float *image, const qc_conv_geometry *g, int r0, int r1,
                        const float *bias, float *c, int ldc, float *scratch) {
    int k = g->channels * kernel_size(g), most = band_rows(g), sw = g->stride_w;
    float *band = scratch, *out = qc_align(band + band_floats(g, layout(g, most)));
    const float **rows = (const float **)qc_align(out + (size_t)m * most * layout(g, most).width);
    float *gemm_scratch = qc_align((float *)(rows + k));
    for (int top = r0; top < r1; top += most) {
        band_layout b = layout(g, qc_min(most, r1 - top));
        fill_band(image, g, b, top, band);
        const float **row = rows;
        for (int ch = 0; ch < g->channels; ch++)
            for (int kh = 0; kh < g->kernel_h; kh++)
                for (int kw = 0, shift = 0; kw < g->kernel_w; kw++, shift += g->dilation_w) {
                    int plane = (ch * b.kh_planes + (b.kh_planes == 1 ? 0 : kh)) * sw + shift % sw;
                    int line = b.kh_planes == 1 ? kh * g->dilation_h : 0;
                    *row++ = band + ((size_t)plane * b.lines + line) * b.width + shift / sw;
                }
        int columns = b.rows * b.width;
        qc_multiply_rows(packed_a, m, k, rows, 0, columns, 1, bias, out, columns, gemm_scratch);
        for (int i = 0; i < m; i++)
            for (int r = 0; r < b.rows; r++)
                memcpy(c + (size_t)i * ldc + (size_t)(top - r0 + r) * g->out_w, out + (size_t)i * columns + (size_t)r * b.width,
                       (size_t)g->out_w * sizeof(float));
    }
}

size_t qc_conv_scratch_size(int m, const qc_conv_geometry *g) {
    size_t packed = packed_scratch(g);
    if (!banded(g)) return packed;
    size_t band = band_scratch(m, g);
    return band > packed ? band : packed;
}

void qc_conv(const float *packed_a, int m, const float *image, const qc_conv_geometry *g, int n0, int n1,
             const float *bias, float *c, int ldc, float *scratch) {
    if (n0 >= n1) return;
    if (!banded(g) || g->out_w == 0) {
        conv_packed(packed_a, m, image, g, n0, n1, bias, c, ldc, scratch);
        return;
    }
    int first_row = (n0 + g->out_w - 1) / g->out_w, end_row = n1 / g->out_w;
    if (first_row >= end_row) {
        conv_packed(packed_a, m, image, g, n0, n1, bias, c, ldc, scratch);
        return;
    }
    int head = first_row * g->out_w, tail = end_row * g->out_w;
    if (n0 < head) conv_packed(packed_a, m, image, g, n0, head, bias, c, ldc, scratch);
    conv_banded(packed_a, m, image, g, first_row, end_row, bias, c + (head - n0), ldc, scratch);
    if (tail < n1) conv_packed(packed_a, m, image, g, tail, n1, bias, c + (tail - n0), ldc, scratch);
}
