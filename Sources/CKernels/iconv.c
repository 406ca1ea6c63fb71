// Integer convolutions for the quantized ops, on planes padded once per image: int16 copies of the
// input minus its zero point, bordered with zeros (the zero point itself, a real 0) so that every tap of
// every output reads inside the plane. General convolutions gather their im2col panels from these
// planes for the integer GEMM (igemm.c); depthwise ones (one input channel per group) sum their taps
// directly. See CKernels.h.
#include "CKernels.h"
#include "internal.h"

#include <string.h>

static int kernel_size(const qc_conv_geometry *g) { return g->kernel_d * g->kernel_h * g->kernel_w; }

// Padded extents: all the rows (columns, slices) the outputs' windows reach, from -pad.
static int padded_depth(const qc_conv_geometry *g) { return (g->out_d - 1) * g->stride_d + (g->kernel_d - 1) * g->dilation_d + 1; }
static int padded_height(const qc_conv_geometry *g) { return (g->out_h - 1) * g->stride_h + (g->kernel_h - 1) * g->dilation_h + 1; }
static int padded_width(const qc_conv_geometry *g) { return (g->out_w - 1) * g->stride_w + (g->kernel_w - 1) * g->dilation_w + 1; }

size_t qc_iconv_plane_size(const qc_conv_geometry *g) {
    return (size_t)padded_depth(g) * padded_height(g) * padded_width(g);
}

void qc_iconv_pad(const void *image, int is_signed, int zero_point, const qc_conv_geometry *g, int planes, int16_t *padded) {
    int depth = padded_depth(g), height = padded_height(g), width = padded_width(g);
    size_t in_plane = (size_t)g->in_d * g->in_h * g->in_w, out_plane = (size_t)depth * height * width;
    int lo = qc_max(0, -g->pad_w), hi = qc_min(g->in_w, width - g->pad_w);  // input columns inside the plane
    for (int p = 0; p < planes; p++) {
        int16_t *plane = padded + p * out_plane;
        memset(plane, 0, out_plane * sizeof(int16_t));
        for (int d = 0; d < g->in_d; d++) {
            int pd = d + g->pad_d;
            if (pd < 0 || pd >= depth) continue;
            for (int h = 0; h < g->in_h; h++) {
                int ph = h + g->pad_h;
                if (ph < 0 || ph >= height) continue;
                size_t source = p * in_plane + ((size_t)d * g->in_h + h) * g->in_w;
                int16_t *line = plane + ((size_t)pd * height + ph) * width + g->pad_w;
                for (int w = lo; w < hi; w++) line[w] = (int16_t)(qc_element(image, is_signed, source + w) - zero_point);
            }
        }
    }
}

size_t qc_iconv_scratch_size(const qc_conv_geometry *g) {
    int nr = qc_current_int_kernel()->nr;
    size_t k = (size_t)g->channels * kernel_size(g);
    return (size_t)nr * 2 * qc_pairs((int)k) + (k + (size_t)nr) * (sizeof(size_t) / sizeof(int16_t)) + 32;
}

// The B panel of positions [start, start + width): row (channel, kd, kh, kw) of column j is the padded
// plane's value at the position's window origin plus the tap's offset; columns past width are 0.
static void pack_panel(const int16_t *padded, const qc_conv_geometry *g, const size_t *row_offsets, int k, int start,
                       int width, int nr, size_t *origins, int16_t *panel) {
    int height = padded_height(g), pwidth = padded_width(g);
    for (int j = 0; j < width; j++) {
        int position = start + j, ow = position % g->out_w, rest = position / g->out_w;
        origins[j] = ((size_t)(rest / g->out_h) * g->stride_d * height + (size_t)(rest % g->out_h) * g->stride_h) * pwidth +
                     (size_t)ow * g->stride_w;
    }
    for (int p = 0; p < qc_pairs(k); p++) {
        const int16_t *first = padded + row_offsets[2 * p];
        int16_t *out = panel + (size_t)p * 2 * nr;
        if (2 * p + 1 < k) {
            const int16_t *second = padded + row_offsets[2 * p + 1];
            for (int j = 0; j < width; j++) {
                out[2 * j] = first[origins[j]];
                out[2 * j + 1] = second[origins[j]];
            }
        } else {
            for (int j = 0; j < width; j++) {
                out[2 * j] = first[origins[j]];
                out[2 * j + 1] = 0;
            }
        }
        memset(out + 2 * width, 0, (size_t)(nr - width) * 2 * sizeof(int16_t));
    }
}

void qc_iconv(const int16_t *packed_a, int m, const int16_t *padded, const qc_conv_geometry *g, int n0, int n1, int32_t *c,
              int ldc, int16_t *scratch) {
    int nr = qc_current_int_kernel()->nr, size = kernel_size(g), k = g->channels * size, khw = g->kernel_h * g->kernel_w;
    int height = padded_height(g), width = padded_width(g);
    size_t plane = qc_iconv_plane_size(g);
    int16_t *panel = scratch;
    size_t *row_offsets = (size_t *)qc_align((float *)(panel + (size_t)nr * 2 * qc_pairs(k)));
    size_t *origins = row_offsets + k;
    for (int kk = 0; kk < k; kk++) {
        int r = kk % size, kd = r / khw, kh = r % khw / g->kernel_w, kw = r % g->kernel_w;
        row_offsets[kk] = (size_t)(kk / size) * plane +
                          ((size_t)kd * g->dilation_d * height + (size_t)kh * g->dilation_h) * width + (size_t)kw * g->dilation_w;
    }
    for (int start = n0; start < n1; start += nr) {
        int count = qc_min(nr, n1 - start);
        pack_panel(padded, g, row_offsets, k, start, count, nr, origins, panel);
        qc_igemm(packed_a, m, k, panel, count, c + (start - n0), ldc);
    }
}

enum { DEPTHWISE_BLOCK = 64 };

void qc_idepthwise(const int16_t *padded, const int16_t *weights, const qc_conv_geometry *g, int32_t *y) {
    int height = padded_height(g), width = padded_width(g), taps = kernel_size(g), stride = g->stride_w;
    const int16_t *lines[taps];  // each tap's first input for the current output row
    for (int od = 0; od < g->out_d; od++)
        for (int oh = 0; oh < g->out_h; oh++) {
            for (int kd = 0, t = 0; kd < g->kernel_d; kd++)
                for (int kh = 0; kh < g->kernel_h; kh++)
                    for (int kw = 0; kw < g->kernel_w; kw++, t++)
                        lines[t] = padded + ((size_t)(od * g->stride_d + kd * g->dilation_d) * height +
                                             (size_t)(oh * g->stride_h + kh * g->dilation_h)) * width + kw * g->dilation_w;
            int32_t *row = y + ((size_t)od * g->out_h + oh) * g->out_w;
            // Blocks of outputs summed over all taps in registers, not one pass over the row per tap.
            for (int ow0 = 0; ow0 < g->out_w; ow0 += DEPTHWISE_BLOCK) {
                int count = qc_min(DEPTHWISE_BLOCK, g->out_w - ow0);
                int32_t acc[DEPTHWISE_BLOCK] = {0};
                for (int t = 0; t < taps; t++) {
                    const int16_t *source = lines[t] + (size_t)ow0 * stride;
                    int32_t tap = weights[t];
                    if (stride == 1) {
                        for (int j = 0; j < count; j++) acc[j] += tap * source[j];
                    } else {
                        for (int j = 0; j < count; j++) acc[j] += tap * source[j * stride];
                    }
                }
                memcpy(row + ow0, acc, (size_t)count * sizeof(int32_t));
            }
        }
}
