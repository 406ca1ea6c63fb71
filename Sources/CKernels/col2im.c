// The gather that ends a transposed convolution: each output row sums the column-matrix entries that
// land on it. See CKernels.h.
#include "CKernels.h"
#include "internal.h"

// Whether windows never overlap along any axis (stride >= dilated kernel extent): then every output
// element gets at most one tap and rows can be written without accumulating.
static int disjoint(const qc_conv_geometry *g) {
    return g->stride_d >= (g->kernel_d - 1) * g->dilation_d + 1 && g->stride_h >= (g->kernel_h - 1) * g->dilation_h + 1 &&
           g->stride_w >= (g->kernel_w - 1) * g->dilation_w + 1;
}

// Input index i with i * stride - pad + k * dilation == o for the tap k that reaches output o, if any.
static int source_of(int o, int k, int stride, int dilation, int pad, int size) {
    int d = o + pad - k * dilation;
    return d >= 0 && d % stride == 0 && d / stride < size ? d / stride : -1;
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void qc_col2im(const float *col, size_t col_plane, int ih_first, const qc_conv_geometry *g, const float *bias, int c0, int c1,
               int oh0, int oh1, float *y) {
    int sw = g->stride_w, no_overlap = disjoint(g);
    for (int channel = c0; channel < c1; channel++)
        for (int od = 0; od < g->out_d; od++)
            for (int oh = oh0; oh < oh1; oh++) {
                float *line = y + (((size_t)channel * g->out_d + od) * g->out_h + oh) * g->out_w;
                float start = bias ? bias[channel] : 0.0f;
                for (int ow = 0; ow < g->out_w; ow++) line[ow] = start;
                for (int kd = 0; kd < g->kernel_d; kd++) {
                    int id = source_of(od, kd, g->stride_d, g->dilation_d, g->pad_d, g->in_d);
                    if (id < 0) continue;
                    for (int kh = 0; kh < g->kernel_h; kh++) {
                        int ih = source_of(oh, kh, g->stride_h, g->dilation_h, g->pad_h, g->in_h);
                        if (ih < 0) continue;
                        for (int kw = 0; kw < g->kernel_w; kw++) {
                            size_t tap = ((size_t)(channel * g->kernel_d + kd) * g->kernel_h + kh) * g->kernel_w + kw;
                            const float *src = col + tap * col_plane + ((size_t)id * g->in_h + ih - ih_first) * g->in_w;
                            // Input column iw lands on output column iw * sw + offset.
                            int offset = kw * g->dilation_w - g->pad_w;
                            int lo = qc_max(0, -qc_floor_div(offset, sw));
                            int hi = qc_min(g->in_w, qc_floor_div(g->out_w - 1 - offset, sw) + 1);
                            float *out = line + offset;
                            if (no_overlap && sw == 2) {  // the common upsampling case: a plain strided copy
                                for (int iw = lo; iw < hi; iw++) out[iw * 2] = start + src[iw];
                            } else if (no_overlap) {
                                for (int iw = lo; iw < hi; iw++) out[iw * sw] = start + src[iw];
                            } else if (sw == 1) {
                                for (int iw = lo; iw < hi; iw++) out[iw] += src[iw];
                            } else {
                                for (int iw = lo; iw < hi; iw++) out[iw * sw] += src[iw];
                            }
                        }
                    }
                }
            }
}

void qc_col2im_input_rows(const qc_conv_geometry *g, int oh0, int oh1, int *ih0, int *ih1) {
    int extent = (g->kernel_h - 1) * g->dilation_h;
    *ih0 = qc_max(0, -qc_floor_div(-(oh0 + g->pad_h - extent), g->stride_h));
    *ih1 = qc_min(g->in_h, qc_floor_div(oh1 - 1 + g->pad_h, g->stride_h) + 1);
    if (*ih1 < *ih0) *ih1 = *ih0;
}
