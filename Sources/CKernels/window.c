// Planes padded for windowed kernels (depthwise convolution, pooling): the plane is copied into a
// scratch volume bordered with a fill value, its columns split by phase (column mod stride_w), so that
// for every tap the inputs of consecutive outputs are consecutive floats. See internal.h.
#include "internal.h"

#include <string.h>

qc_padded qc_padded_shape(const qc_conv_geometry *g) {
    qc_padded s;
    s.depth = (g->out_d - 1) * g->stride_d + (g->kernel_d - 1) * g->dilation_d + 1;
    s.height = (g->out_h - 1) * g->stride_h + (g->kernel_h - 1) * g->dilation_h + 1;
    s.phases = g->stride_w;
    s.width = g->out_w + (g->kernel_w - 1) * g->dilation_w / g->stride_w + 1;
    s.block = (size_t)s.depth * s.height * s.width;
    s.taps = g->kernel_d * g->kernel_h * g->kernel_w;
    return s;
}

size_t qc_padded_scratch_size(const qc_conv_geometry *g) {
    qc_padded s = qc_padded_shape(g);
    return (size_t)s.phases * s.block + (size_t)s.taps * 4 + 32;
}

const float **qc_padded_rows(qc_padded s, float *scratch) {
    return (const float **)qc_align(scratch + (size_t)s.phases * s.block);
}

void qc_padded_offsets(const qc_conv_geometry *g, qc_padded s, size_t *offsets) {
    for (int kd = 0; kd < g->kernel_d; kd++)
        for (int kh = 0; kh < g->kernel_h; kh++)
            for (int kw = 0, along = 0; kw < g->kernel_w; kw++, along += g->dilation_w)
                *offsets++ = (size_t)(along % s.phases) * s.block +
                             ((size_t)kd * g->dilation_d * s.height + (size_t)kh * g->dilation_h) * s.width + along / s.phases;
}

void qc_padded_fill(const float *x, const qc_conv_geometry *g, qc_padded s, float fill, float *scratch) {
    size_t total = (size_t)s.phases * s.block;
    if (fill == 0.0f) {
        memset(scratch, 0, total * sizeof(float));
    } else {
        for (size_t i = 0; i < total; i++) scratch[i] = fill;
    }
    for (int d = 0; d < g->in_d && d + g->pad_d < s.depth; d++)
        for (int h = 0; h < g->in_h && h + g->pad_h < s.height; h++) {
            const float *line = x + ((size_t)d * g->in_h + h) * g->in_w;
            float *out = scratch + ((size_t)(d + g->pad_d) * s.height + h + g->pad_h) * s.width;
            for (int phase = 0; phase < s.phases; phase++) {
                // Padded column q * phases + phase holds input column q * phases + phase - pad_w.
                int offset = phase - g->pad_w;
                int lo = qc_max(-qc_floor_div(offset, s.phases), 0);
                int hi = qc_min(qc_floor_div(g->in_w - 1 - offset, s.phases) + 1, s.width);
                if (s.phases == 1) {
                    memcpy(out + lo, line + lo + offset, (size_t)qc_max(0, hi - lo) * sizeof(float));
                } else {
                    for (int q = lo; q < hi; q++) out[(size_t)phase * s.block + q] = line[q * s.phases + offset];
                }
            }
        }
}

void qc_padded_each_lines(const qc_conv_geometry *g, qc_padded s, const float *scratch, const size_t *offsets,
                          const float **rows, float *y, qc_lines_kernel lines, const void *context) {
    for (int od = 0; od < g->out_d; od++)
        for (int oh = 0; oh < g->out_h; oh += 4) {
            const float *base = scratch + ((size_t)od * g->stride_d * s.height + (size_t)oh * g->stride_h) * s.width;
            for (int k = 0; k < s.taps; k++) rows[k] = base + offsets[k];
            lines(rows, (size_t)g->stride_h * s.width, qc_min(4, g->out_h - oh), s.taps, g->out_w,
                  y + ((size_t)od * g->out_h + oh) * g->out_w, od, oh, context);
        }
}
