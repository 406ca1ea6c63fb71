// Max and average pooling, plane by plane, on the padded planes of window.c (bordered with the lowest
// float for max, zeros for average): every output line reduces its taps' rows a vector at a time.
// See CKernels.h.
#include "CKernels.h"
#include "internal.h"

#include <float.h>
#include <pthread.h>
#include <string.h>

// How outputs are reduced: max (counts NULL), or sum / (count_d[od] * count_h[oh] * count_w[ow]).
typedef struct {
    const float *count_d, *count_h, *count_w;
} pool_reduction;

// Four floats at a time, for lines narrower than a vector.
typedef float pool4 __attribute__((vector_size(16), aligned(4)));
typedef int pool4_mask __attribute__((vector_size(16), aligned(4)));

// Up to four lines, four vectors at a time then one, then four floats, then single floats. Max keeps the first of equal
// values and never takes a NaN (v > acc), as ONNX Runtime does; sums run in tap order.
#define DEFINE_POOL_LINES(NAME, TARGET, VLEN)                                                                \
    typedef float NAME##_vector __attribute__((vector_size((VLEN) * 4), aligned(4)));                       \
    typedef int NAME##_mask __attribute__((vector_size((VLEN) * 4), aligned(4)));                           \
    TARGET static inline __attribute__((always_inline)) NAME##_vector NAME##_step(NAME##_vector acc,          \
                                                                            NAME##_vector v, int average) {  \
        if (average) return acc + v;                                                                         \
        NAME##_mask take = v > acc;                                                                          \
        return (NAME##_vector)((take & (NAME##_mask)v) | (~take & (NAME##_mask)acc));                        \
    }                                                                                                        \
    TARGET static inline __attribute__((always_inline)) pool4 NAME##_step4(pool4 acc, pool4 v, int average) { \
        if (average) return acc + v;                                                                         \
        pool4_mask take = v > acc;                                                                           \
        return (pool4)((take & (pool4_mask)v) | (~take & (pool4_mask)acc));                                  \
    }                                                                                                        \
    TARGET static void NAME(const float *const *rows, size_t pitch, int lines, int taps, int width, float *y,  \
                            int od, int oh, const void *context) {                                           \
        typedef NAME##_vector vec;                                                                           \
        const pool_reduction *reduction = context;                                                           \
        int average = reduction->count_w != NULL;                                                            \
        for (int r = 0; r < lines; r++) {                                                                    \
            float *out = y + (size_t)r * width;                                                              \
            float outer = average ? reduction->count_d[od] * reduction->count_h[oh + r] : 1.0f;              \
            int o = 0;                                                                                       \
            for (; o + 4 * (VLEN) <= width; o += 4 * (VLEN)) {                                               \
                vec acc[4];                                                                                  \
                for (int j = 0; j < 4; j++) acc[j] = *(const vec *)(rows[0] + r * pitch + o + j * (VLEN));   \
                for (int t = 1; t < taps; t++)                                                               \
                    for (int j = 0; j < 4; j++)                                                              \
                        acc[j] = NAME##_step(acc[j], *(const vec *)(rows[t] + r * pitch + o + j * (VLEN)), average); \
                for (int j = 0; j < 4; j++) {                                                                \
                    if (average) acc[j] /= *(const vec *)(reduction->count_w + o + j * (VLEN)) * outer;      \
                    *(vec *)(out + o + j * (VLEN)) = acc[j];                                                 \
                }                                                                                            \
            }                                                                                                \
            for (; o + (VLEN) <= width; o += (VLEN)) {                                                       \
                vec acc = *(const vec *)(rows[0] + r * pitch + o);                                           \
                for (int t = 1; t < taps; t++) acc = NAME##_step(acc, *(const vec *)(rows[t] + r * pitch + o), average); \
                if (average) acc /= *(const vec *)(reduction->count_w + o) * outer;                          \
                *(vec *)(out + o) = acc;                                                                     \
            }                                                                                                \
            for (; o + 4 <= width; o += 4) {                                                                 \
                pool4 acc = *(const pool4 *)(rows[0] + r * pitch + o);                                       \
                for (int t = 1; t < taps; t++) acc = NAME##_step4(acc, *(const pool4 *)(rows[t] + r * pitch + o), average); \
                if (average) acc /= *(const pool4 *)(reduction->count_w + o) * outer;                        \
                *(pool4 *)(out + o) = acc;                                                                   \
            }                                                                                                \
            for (; o < width; o++) {                                                                         \
                float acc = rows[0][r * pitch + o];                                                          \
                for (int t = 1; t < taps; t++) {                                                             \
                    float v = rows[t][r * pitch + o];                                                        \
                    acc = average ? acc + v : (v > acc ? v : acc);                                           \
                }                                                                                            \
                out[o] = average ? acc / (reduction->count_w[o] * outer) : acc;                              \
            }                                                                                                \
        }                                                                                                    \
    }

#if defined(__x86_64__)
DEFINE_POOL_LINES(pool_avx512, __attribute__((target("avx512f"))), 16)
DEFINE_POOL_LINES(pool_avx2, __attribute__((target("avx2"))), 8)
#endif
DEFINE_POOL_LINES(pool_baseline, , 4)

static qc_lines_kernel chosen_pool;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void choose_pool(void) {
    const char *name = qc_current_kernel()->name;
    chosen_pool = pool_baseline;
#if defined(__x86_64__)
    if (strcmp(name, "avx512") == 0) chosen_pool = pool_avx512;
    if (strcmp(name, "avx2") == 0) chosen_pool = pool_avx2;
#endif
}

size_t qc_pool_scratch_size(const qc_conv_geometry *g) { return qc_padded_scratch_size(g); }

void qc_pool(const float *x, const qc_conv_geometry *g, const float *count_d, const float *count_h, const float *count_w,
             int first, int end, float *y, float *scratch) {
    pthread_once(&pool_once, choose_pool);
    qc_padded s = qc_padded_shape(g);
    size_t in_plane = (size_t)g->in_d * g->in_h * g->in_w, out_plane = (size_t)g->out_d * g->out_h * g->out_w;
    const float **rows = qc_padded_rows(s, scratch);
    size_t *offsets = (size_t *)(rows + s.taps);
    qc_padded_offsets(g, s, offsets);
    pool_reduction reduction = {count_d, count_h, count_w};
    for (int plane = first; plane < end; plane++) {
        qc_padded_fill(x + (size_t)plane * in_plane, g, s, count_w ? 0.0f : -FLT_MAX, scratch);
        qc_padded_each_lines(g, s, scratch, offsets, rows, y + (size_t)(plane - first) * out_plane, chosen_pool, &reduction);
    }
}
