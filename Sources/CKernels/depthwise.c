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

// Up to four consecutive output lines: `rows` gives per tap the first scratch float the first line
// reads; line r reads `pitch` floats further on and writes y + r * out_w. Vectors of VLEN outputs
// accumulate every tap in registers: four vectors of two lines at a time (eight independent sums, to
// hide the multiply-add latency), then the remaining one to three vectors of two lines at a time,
// then single floats.
#define DEFINE_LINES(NAME, TARGET, VLEN)                                                                     \
    typedef float NAME##_vector __attribute__((vector_size((VLEN) * 4), aligned(4)));                       \
    /* LINES lines of VECS vectors from line `first` and output column o, all taps, in registers. */         \
    TARGET static inline __attribute__((always_inline)) void NAME##_block(                                    \
        const float *const *rows, size_t pitch, int first, const int lines_, const int vecs_, const float *w,  \
        int taps, float bias, int width, float *y, int o) {                                                  \
        typedef NAME##_vector vec;                                                                           \
        vec acc[8];                                                                                          \
        for (int i = 0; i < lines_ * vecs_; i++) acc[i] = (vec){0} + bias;                                   \
        for (int t = 0; t < taps; t++) {                                                                     \
            const float *in = rows[t] + (size_t)first * pitch + o;                                           \
            float tap = w[t];                                                                                \
            for (int i = 0; i < lines_ * vecs_; i++)                                                         \
                acc[i] += tap * *(const vec *)(in + (i / vecs_) * pitch + (i % vecs_) * (VLEN));             \
        }                                                                                                    \
        for (int i = 0; i < lines_ * vecs_; i++)                                                             \
            *(vec *)(y + (size_t)(first + i / vecs_) * width + o + (i % vecs_) * (VLEN)) = acc[i];           \
    }                                                                                                        \
    TARGET static void NAME(const float *const *rows, size_t pitch, int lines, const float *w, int taps,       \
                            float bias, int width, float *y) {                                               \
        int o = 0;                                                                                           \
        for (; o + 4 * (VLEN) <= width; o += 4 * (VLEN)) {                                                   \
            int r = 0;                                                                                       \
            for (; r + 2 <= lines; r += 2) NAME##_block(rows, pitch, r, 2, 4, w, taps, bias, width, y, o);    \
            if (r < lines) NAME##_block(rows, pitch, r, 1, 4, w, taps, bias, width, y, o);                    \
        }                                                                                                    \
        int left = (width - o) / (VLEN);                                                                     \
        for (int r = 0; left > 0 && r < lines; r += 2) {                                                     \
            int two = r + 1 < lines;                                                                         \
            switch (left * 2 + two) {                                                                        \
            case 2: NAME##_block(rows, pitch, r, 1, 1, w, taps, bias, width, y, o); break;                   \
            case 3: NAME##_block(rows, pitch, r, 2, 1, w, taps, bias, width, y, o); break;                   \
            case 4: NAME##_block(rows, pitch, r, 1, 2, w, taps, bias, width, y, o); break;                   \
            case 5: NAME##_block(rows, pitch, r, 2, 2, w, taps, bias, width, y, o); break;                   \
            case 6: NAME##_block(rows, pitch, r, 1, 3, w, taps, bias, width, y, o); break;                   \
            default: NAME##_block(rows, pitch, r, 2, 3, w, taps, bias, width, y, o); break;                  \
            }                                                                                                \
        }                                                                                                    \
        o += left * (VLEN);                                                                                  \
        for (; o < width; o++)                                                                               \
            for (int r = 0; r < lines; r++) {                                                                \
                float sum = bias;                                                                            \
                for (int t = 0; t < taps; t++) sum += w[t] * rows[t][r * pitch + o];                         \
                y[(size_t)r * width + o] = sum;                                                              \
            }                                                                                                \
    }

#if defined(__x86_64__)
DEFINE_LINES(lines_avx512, __attribute__((target("avx512f"))), 16)
DEFINE_LINES(lines_avx2, __attribute__((target("avx2,fma"))), 8)
#endif
DEFINE_LINES(lines_baseline, , 4)

typedef void (*lines_kernel)(const float *const *, size_t, int, const float *, int, float, int, float *);

static lines_kernel chosen_lines;
static pthread_once_t lines_once = PTHREAD_ONCE_INIT;

static void choose_lines(void) {
    const char *name = qc_current_kernel()->name;
    chosen_lines = lines_baseline;
#if defined(__x86_64__)
    if (strcmp(name, "avx512") == 0) chosen_lines = lines_avx512;
    if (strcmp(name, "avx2") == 0) chosen_lines = lines_avx2;
#endif
}

void qc_depthwise(const float *x, const float *w, const float *bias, const qc_conv_geometry *g, int out_channels,
                  int multiplier, int first, int end, float *y, float *scratch) {
    pthread_once(&lines_once, choose_lines);
    padded_shape s = shape_of(g);
    size_t block = (size_t)s.depth * s.height * s.width;
    size_t in_plane = (size_t)g->in_d * g->in_h * g->in_w, out_plane = (size_t)g->out_d * g->out_h * g->out_w;
    int taps = g->kernel_d * g->kernel_h * g->kernel_w;
    const float **rows = (const float **)qc_align(scratch + (size_t)s.phases * block);
    size_t *offsets = (size_t *)(rows + taps);
    size_t *t = offsets;
    for (int kd = 0; kd < g->kernel_d; kd++)
        for (int kh = 0; kh < g->kernel_h; kh++)
            for (int kw = 0, along = 0; kw < g->kernel_w; kw++, along += g->dilation_w)
                *t++ = (size_t)(along % s.phases) * block +
                       ((size_t)kd * g->dilation_d * s.height + (size_t)kh * g->dilation_h) * s.width + along / s.phases;
    for (int plane = first; plane < end; plane++) {
        const float *in = x + (size_t)(plane / multiplier) * in_plane;
        const float *taps_w = w + (size_t)(plane % out_channels) * taps;
        float start = bias ? bias[plane % out_channels] : 0.0f;
        memset(scratch, 0, (size_t)s.phases * block * sizeof(float));
        for (int d = 0; d < g->in_d && d + g->pad_d < s.depth; d++)
            for (int h = 0; h < g->in_h && h + g->pad_h < s.height; h++) {
                const float *line = in + ((size_t)d * g->in_h + h) * g->in_w;
                float *out = scratch + ((size_t)(d + g->pad_d) * s.height + h + g->pad_h) * s.width;
                for (int phase = 0; phase < s.phases; phase++) {
                    // Padded column q * phases + phase holds input column q * phases + phase - pad_w.
                    int offset = phase - g->pad_w;
                    int lo = qc_max(-qc_floor_div(offset, s.phases), 0);
                    int hi = qc_min(qc_floor_div(g->in_w - 1 - offset, s.phases) + 1, s.width);
                    if (s.phases == 1) {
                        memcpy(out + lo, line + lo + offset, (size_t)qc_max(0, hi - lo) * sizeof(float));
                    } else {
                        for (int q = lo; q < hi; q++) out[(size_t)phase * block + q] = line[q * s.phases + offset];
                    }
                }
            }
        float *result = y + (size_t)(plane - first) * out_plane;
        for (int od = 0; od < g->out_d; od++)
            for (int oh = 0; oh < g->out_h; oh += 4) {
                const float *base = scratch + ((size_t)od * g->stride_d * s.height + (size_t)oh * g->stride_h) * s.width;
                for (int k = 0; k < taps; k++) rows[k] = base + offsets[k];
                chosen_lines(rows, (size_t)g->stride_h * s.width, qc_min(4, g->out_h - oh), taps_w, taps, start, g->out_w,
                             result + ((size_t)od * g->out_h + oh) * g->out_w);
            }
    }
}
