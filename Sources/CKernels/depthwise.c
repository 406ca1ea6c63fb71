// Direct depthwise convolution of one plane. The plane is first copied into a zero-bordered scratch
// volume whose columns are split by phase (column mod stride_w), so that for every tap the inputs of
// consecutive outputs are consecutive floats; outputs are then accumulated a vector at a time across
// all taps in registers and stored once. See CKernels.h.
#include "CKernels.h"
#include "internal.h"

#include <pthread.h>
#include <string.h>

// The scratch volume: `phases` blocks of depth x height lines of `width` floats.
typedef struct {
    int depth, height, width, phases;
} padded_shape;

static padded_shape shape_of(const qc_conv_geometry *g) {
    padded_shape s;
    s.depth = (g->out_d - 1) * g->stride_d + (g->kernel_d - 1) * g->dilation_d + 1;
    s.height = (g->out_h - 1) * g->stride_h + (g->kernel_h - 1) * g->dilation_h + 1;
    s.phases = g->stride_w;
    s.width = g->out_w + (g->kernel_w - 1) * g->dilation_w / g->stride_w + 1;
    return s;
}

size_t qc_depthwise_scratch_size(const qc_conv_geometry *g) {
    padded_shape s = shape_of(g);
    return (size_t)s.phases * s.depth * s.height * s.width + (size_t)g->kernel_d * g->kernel_h * g->kernel_w * 4 + 32;
}

// y for one output line, given per tap the first scratch float it reads: vectors of VLEN outputs
// accumulate every tap in registers, four vectors at a time, then one, then single floats.
#define DEFINE_LINE(NAME, TARGET, VLEN)                                                                      \
    typedef float NAME##_vector __attribute__((vector_size((VLEN) * 4), aligned(4)));                       \
    TARGET static void NAME(const float *const *rows, const float *w, int taps, float bias, int width, float *y) { \
        int o = 0;                                                                                           \
        for (; o + 4 * (VLEN) <= width; o += 4 * (VLEN)) {                                                   \
            NAME##_vector a = (NAME##_vector){0} + bias, b = a, c = a, d = a;                                \
            for (int t = 0; t < taps; t++) {                                                                 \
                const float *in = rows[t] + o;                                                               \
                float tap = w[t];                                                                            \
                a += tap * *(const NAME##_vector *)in;                                                       \
                b += tap * *(const NAME##_vector *)(in + (VLEN));                                            \
                c += tap * *(const NAME##_vector *)(in + 2 * (VLEN));                                        \
                d += tap * *(const NAME##_vector *)(in + 3 * (VLEN));                                        \
            }                                                                                                \
            *(NAME##_vector *)(y + o) = a;                                                                   \
            *(NAME##_vector *)(y + o + (VLEN)) = b;                                                          \
            *(NAME##_vector *)(y + o + 2 * (VLEN)) = c;                                                      \
            *(NAME##_vector *)(y + o + 3 * (VLEN)) = d;                                                      \
        }                                                                                                    \
        for (; o + (VLEN) <= width; o += (VLEN)) {                                                           \
            NAME##_vector a = (NAME##_vector){0} + bias;                                                     \
            for (int t = 0; t < taps; t++) a += w[t] * *(const NAME##_vector *)(rows[t] + o);                \
            *(NAME##_vector *)(y + o) = a;                                                                   \
        }                                                                                                    \
        for (; o < width; o++) {                                                                             \
            float sum = bias;                                                                                \
            for (int t = 0; t < taps; t++) sum += w[t] * rows[t][o];                                         \
            y[o] = sum;                                                                                      \
        }                                                                                                    \
    }

#if defined(__x86_64__)
DEFINE_LINE(line_avx512, __attribute__((target("avx512f"))), 16)
DEFINE_LINE(line_avx2, __attribute__((target("avx2,fma"))), 8)
#endif
DEFINE_LINE(line_baseline, , 4)

typedef void (*line_kernel)(const float *const *, const float *, int, float, int, float *);

static line_kernel chosen_line;
static pthread_once_t line_once = PTHREAD_ONCE_INIT;

static void choose_line(void) {
    const char *name = qc_current_kernel()->name;
    chosen_line = line_baseline;
#if defined(__x86_64__)
    if (strcmp(name, "avx512") == 0) chosen_line = line_avx512;
    if (strcmp(name, "avx2") == 0) chosen_line = line_avx2;
#endif
}

void qc_depthwise(const float *x, const float *w, float bias, const qc_conv_geometry *g, float *y, float *scratch) {
    pthread_once(&line_once, choose_line);
    padded_shape s = shape_of(g);
    size_t block = (size_t)s.depth * s.height * s.width;
    memset(scratch, 0, (size_t)s.phases * block * sizeof(float));
    for (int d = 0; d < g->in_d && d + g->pad_d < s.depth; d++)
        for (int h = 0; h < g->in_h && h + g->pad_h < s.height; h++) {
            const float *in = x + ((size_t)d * g->in_h + h) * g->in_w;
            float *line = scratch + ((size_t)(d + g->pad_d) * s.height + h + g->pad_h) * s.width;
            for (int phase = 0; phase < s.phases; phase++) {
                // Padded column q * phases + phase holds input column q * phases + phase - pad_w.
                int offset = phase - g->pad_w;
                int lo = qc_max(-qc_floor_div(offset, s.phases), 0);
                int hi = qc_min(qc_floor_div(g->in_w - 1 - offset, s.phases) + 1, s.width);
                float *out = line + (size_t)phase * block;
                for (int q = lo; q < hi; q++) out[q] = in[q * s.phases + offset];
            }
        }
    int taps = g->kernel_d * g->kernel_h * g->kernel_w;
    const float **rows = (const float **)qc_align(scratch + (size_t)s.phases * block);
    size_t *offsets = (size_t *)(rows + taps);
    for (int t = 0; t < taps; t++) {
        int kd = t / (g->kernel_h * g->kernel_w), kh = t / g->kernel_w % g->kernel_h, along = t % g->kernel_w * g->dilation_w;
        offsets[t] = (size_t)(along % s.phases) * block + ((size_t)kd * g->dilation_d * s.height + (size_t)kh * g->dilation_h) * s.width +
                     along / s.phases;
    }
    for (int od = 0; od < g->out_d; od++)
        for (int oh = 0; oh < g->out_h; oh++) {
            const float *base = scratch + ((size_t)od * g->stride_d * s.height + (size_t)oh * g->stride_h) * s.width;
            for (int t = 0; t < taps; t++) rows[t] = base + offsets[t];
            chosen_line(rows, w, taps, bias, g->out_w, y + ((size_t)od * g->out_h + oh) * g->out_w);
        }
}
