// Direct depthwise convolution, plane by plane. Each plane is first copied into a zero-bordered,
// phase-split scratch volume (window.c), so that for every tap the inputs of consecutive outputs are
// consecutive floats; outputs are then accumulated a vector at a time across all taps in registers
// and stored once. See CKernels.h.
#include "CKernels.h"
#include "internal.h"

#include <pthread.h>
#include <string.h>

size_t qc_depthwise_scratch_size(const qc_conv_geometry *g) { return qc_padded_scratch_size(g); }

// What a depthwise line kernel needs besides the rows: the plane's taps and bias.
typedef struct {
    const float *w;
    float bias;
} depthwise_taps;

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
    TARGET static void NAME(const float *const *rows, size_t pitch, int lines, int taps, int width, float *y,  \
                            int od, int oh, const void *context) {                                           \
        const float *w = ((const depthwise_taps *)context)->w;                                               \
        float bias = ((const depthwise_taps *)context)->bias;                                                \
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

static qc_lines_kernel chosen_lines;
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
    qc_padded s = qc_padded_shape(g);
    size_t in_plane = (size_t)g->in_d * g->in_h * g->in_w, out_plane = (size_t)g->out_d * g->out_h * g->out_w;
    const float **rows = qc_padded_rows(s, scratch);
    size_t *offsets = (size_t *)(rows + s.taps);
    qc_padded_offsets(g, s, offsets);
    for (int plane = first; plane < end; plane++) {
        int channel = plane % out_channels;
        depthwise_taps taps = {w + (size_t)channel * s.taps, bias ? bias[channel] : 0.0f};
        qc_padded_fill(x + (size_t)(plane / multiplier) * in_plane, g, s, 0.0f, scratch);
        qc_padded_each_lines(g, s, scratch, offsets, rows, y + (size_t)(plane - first) * out_plane, chosen_lines, &taps);
    }
}
