// Convolution as GEMM on a band: a zero-padded, phase-split copy of the input in which every row of
// the im2col matrix is a plain shifted view, so B is read in place and never packed. 1-D and 2-D
// convolutions. See CKernels.h.
#include "CKernels.h"
#include "internal.h"

#include <string.h>

// The layout of the band for output rows [top, top + rows). The input is copied into planes of
// `lines` lines of `width` floats, one plane per (channel, row phase, column phase): row phase ph
// holds input rows (top + line) * stride_h + ph - pad_h,
// column phase pw holds columns q * stride_w + pw - pad_w, so strided rows and columns are
// deinterleaved and every input value is copied once. Tap (c, kh, kw) then reads plane
// (c, (kh*dh) mod sh, (kw*dw) mod sw) from line (kh*dh) div sh, shifted by (kw*dw) div sw, and output
// (top + r, ow) sits at column r * width + ow: computing `width` columns per output row (the extra ones
// are dropped) makes every im2col row a plain shifted view of the band.
typedef struct {
    int width, lines;
} band_layout;

// The layout of a band of `rows` output rows.
static band_layout layout(const qc_conv_geometry *g, int rows) {
    band_layout b;
    b.width = g->out_w + (g->kernel_w - 1) * g->dilation_w / g->stride_w;
    if (g->stride_w == 1) {
        // Consecutive lines can share their zero columns: max(pad_w, right pad) between two lines
        // serve as the right padding of one and the left padding of the next.
        int right = g->out_w - 1 + (g->kernel_w - 1) * g->dilation_w - g->pad_w - (g->in_w - 1);
        int shared = g->in_w + qc_max(g->pad_w, right);
        if (g->pad_w >= 0 && right >= 0 && g->out_w <= shared) b.width = qc_min(b.width, shared);
    }
    b.lines = rows + (g->kernel_h - 1) * g->dilation_h / g->stride_h;
    return b;
}

static size_t plane_floats(const qc_conv_geometry *g, int rows) {
    band_layout b = layout(g, rows);
    return (size_t)b.lines * b.width;
}

int qc_band_supported(const qc_conv_geometry *g) {
    // A depth pad makes the single output slice read padding, which the band does not model.
    return g->in_d == 1 && g->out_d == 1 && g->kernel_d == 1 && g->pad_d == 0;
}

size_t qc_band_size(const qc_conv_geometry *g, int rows) {
    band_layout b = layout(g, rows);
    return (size_t)g->channels * g->stride_h * g->stride_w * plane_floats(g, rows) + b.width + QC_MAX_NR;
}

// Cloned per instruction set: the strided gathers vectorise better with wide shuffles.
__attribute__((target_clones("avx512f", "avx2", "default")))
void qc_band_fill(const float *image, const qc_conv_geometry *g, int top, int rows, int first, int end, float *band) {
    band_layout b = layout(g, rows);
    int sh = g->stride_h, sw = g->stride_w;
    for (int pw = 0; pw < sw; pw++) {
        // Column q of this phase's lines reads in[q * sw + offset], inside the row for q in [lo, hi).
        int offset = pw - g->pad_w;
        int lo = qc_min(qc_max(-qc_floor_div(offset, sw), 0), b.width);
        int hi = qc_max(qc_min(qc_floor_div(g->in_w - 1 - offset, sw) + 1, b.width), lo);
        for (int ch = first; ch < end; ch++)
            for (int ph = 0; ph < sh; ph++) {
                float *plane = band + (((size_t)ch * sh + ph) * sw + pw) * plane_floats(g, rows);
                for (int line = 0; line < b.lines; line++) {
                    float *out = plane + (size_t)line * b.width;
                    int ih = (top + line) * sh + ph - g->pad_h;
                    if (ih < 0 || ih >= g->in_h) {
                        memset(out, 0, (size_t)b.width * sizeof(float));
                        continue;
                    }
                    const float *in = image + ((size_t)ch * g->in_h + ih) * g->in_w;
                    for (int q = 0; q < lo; q++) out[q] = 0.0f;
                    if (sw == 1) {
                        memcpy(out + lo, in + lo + offset, (size_t)(hi - lo) * sizeof(float));
                    } else if (sw == 2) {  // the common strided case, with a constant stride the loop vectorises
                        for (int q = lo; q < hi; q++) out[q] = in[q * 2 + offset];
                    } else {
                        for (int q = lo; q < hi; q++) out[q] = in[q * sw + offset];
                    }
                    for (int q = hi; q < b.width; q++) out[q] = 0.0f;
                }
            }
    }
    if (end == g->channels) {  // the tail some loads of the last plane run into
        float *tail = band + (size_t)g->channels * sh * sw * plane_floats(g, rows);
        memset(tail, 0, (size_t)(b.width + QC_MAX_NR) * sizeof(float));
    }
}

size_t qc_band_scratch_size(int m, const qc_conv_geometry *g, int rows) {
    size_t k = (size_t)g->channels * g->kernel_h * g->kernel_w;
    return (size_t)m * rows * layout(g, rows).width + 2 * k + qc_gemm_rows_scratch_size() + 48;
}

void qc_band_multiply(const float *packed_a, int m, const qc_conv_geometry *g, const float *band, int top, int band_rows,
                      int r0, int r1, const float *bias, float *c, int ldc, float *scratch) {
    band_layout b = layout(g, band_rows);
    int k = g->channels * g->kernel_h * g->kernel_w, rows = r1 - r0, columns = rows * b.width, sw = g->stride_w;
    if (rows <= 0) return;
    float *out = scratch;
    const float **row = (const float **)qc_align(out + (size_t)m * columns);
    float *gemm_scratch = qc_align((float *)(row + k));
    const float **next = row;
    for (int ch = 0; ch < g->channels; ch++)
        for (int kh = 0, down = 0; kh < g->kernel_h; kh++, down += g->dilation_h)
            for (int kw = 0, along = 0; kw < g->kernel_w; kw++, along += g->dilation_w) {
                size_t plane = ((size_t)ch * g->stride_h + down % g->stride_h) * sw + along % sw;
                *next++ = band + plane * plane_floats(g, band_rows) + (size_t)(down / g->stride_h) * b.width + along / sw;
            }
    qc_multiply_rows(packed_a, m, k, row, (r0 - top) * b.width, columns, 1, bias, 0, out, columns, gemm_scratch);
    for (int i = 0; i < m; i++)
        for (int r = 0; r < rows; r++)
            memcpy(c + (size_t)i * ldc + (size_t)r * g->out_w, out + (size_t)i * columns + (size_t)r * b.width,
                   (size_t)g->out_w * sizeof(float));
}
