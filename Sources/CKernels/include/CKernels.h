// Kernels of the compute-heavy ops, compiled for AVX-512, AVX2(+FMA) and baseline vectors and chosen
// at run time: a single-precision GEMM with packed A and B rows read in place, which convolutions feed
// from a padded, phase-split copy of the input (1-D and 2-D) or from panels packed from the image (3-D);
// the column gather of transposed convolutions; direct depthwise convolution and pooling on padded
// planes; the row repetition of nearest upsampling; the hot elementwise activations and arithmetic;
// and an integer GEMM with an implicit-im2col convolution for the quantized ops. Each output element is
// summed in the same order however the caller splits the work, so results do not depend on the thread
// count.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Sliding-window geometry of one convolution group, over exactly three spatial axes (leading axes of
// size 1 for 1-D and 2-D). Pads are the pads before each axis.
typedef struct {
    int channels;
    int in_d, in_h, in_w;
    int out_d, out_h, out_w;
    int kernel_d, kernel_h, kernel_w;
    int stride_d, stride_h, stride_w;
    int dilation_d, dilation_h, dilation_w;
    int pad_d, pad_h, pad_w;
} qc_conv_geometry;

// Rows of A one micro-kernel tile covers (a split of A's rows between threads should be a multiple).
int qc_gemm_tile_rows(void);

// Columns of B one micro-kernel tile covers (a split of B's columns should be a multiple).
int qc_gemm_tile_columns(void);

// Floats a packed copy of an m x k matrix takes.
size_t qc_gemm_packed_size(int m, int k);

// Packs the m x k matrix A[i][p] = a[i * row_stride + p * column_stride] into the micro-kernel's layout.
void qc_gemm_pack(const float *a, int m, int k, int row_stride, int column_stride, float *packed);

// Floats of scratch qc_gemm_rows needs.
size_t qc_gemm_rows_scratch_size(void);

// c[i][j] = (accumulate ? c[i][j] : 0) + bias[i] + sum_p a[i][p] * b[p][col0 + j] for i < m, j < n,
// where b[p] points at row p of B; c has row stride ldc; bias may be NULL (zero).
void qc_gemm_rows(const float *packed_a, int m, int k, const float *const *b, int col0, int n, const float *bias,
                  int accumulate, float *c, int ldc, float *scratch);

// Whether the band functions below apply to g (1-D and 2-D convolutions); qc_conv covers the others.
int qc_band_supported(const qc_conv_geometry *g);

// Floats of the band for `rows` output rows of one image (and group): a zero-padded copy of the input
// rows they read, split by stride phase, in which every row of the im2col matrix is a shifted view.
size_t qc_band_size(const qc_conv_geometry *g, int rows);

// Writes the planes of input channels [first, end) of the band for output rows [top, top + rows) of
// image (g->channels planes of in_h*in_w floats).
void qc_band_fill(const float *image, const qc_conv_geometry *g, int top, int rows, int first, int end, float *band);

// Floats of scratch qc_band_multiply needs for m output channels and `rows` output rows.
size_t qc_band_scratch_size(int m, const qc_conv_geometry *g, int rows);

// c[i][r * out_w + ow] = bias[i] + sum_p a[i][p] * im2col[p][(r0 + r) * out_w + ow] for output rows
// [r0, r1), reading the im2col matrix from the filled band of rows [top, top + band_rows) (which must
// include them); c has row stride ldc; bias may be NULL.
void qc_band_multiply(const float *packed_a, int m, const qc_conv_geometry *g, const float *band, int top, int band_rows,
                      int r0, int r1, const float *bias, float *c, int ldc, float *scratch);

// Floats of scratch qc_conv needs.
size_t qc_conv_scratch_size(const qc_conv_geometry *g);

// c[i][j] = bias[i] + sum_p a[i][p] * im2col[p][n0 + j] for positions [n0, n1), with the im2col matrix
// of image (g->channels planes of in_d*in_h*in_w floats) packed panel by panel: row (channel, kd, kh,
// kw), column = output position (od, oh, ow) flattened; c points at position n0 of output channel 0.
void qc_conv(const float *packed_a, int m, const float *image, const qc_conv_geometry *g, int n0, int n1,
             const float *bias, float *c, int ldc, float *scratch);

// Output rows oh in [oh0, oh1) of channels [c0, c1) (all od) of a transposed convolution, from (part
// of) its column matrix col[(channel, kd, kh, kw)][(id, ih, iw)] = W^T X, which holds col_plane floats
// per row starting at input row ih_first: y[c, o] = bias[c] + sum of the col entries with
// o = i * stride - pad + k * dilation, taps in (kd, kh, kw) order. Here in_* is the transposed
// convolution's input size and out_* its output size; bias may be NULL.
void qc_col2im(const float *col, size_t col_plane, int ih_first, const qc_conv_geometry *g, const float *bias, int c0, int c1,
               int oh0, int oh1, float *y);

// The input rows [*ih0, *ih1) whose columns reach output rows [oh0, oh1) of a transposed convolution.
void qc_col2im_input_rows(const qc_conv_geometry *g, int oh0, int oh1, int *ih0, int *ih1);

// Floats of scratch qc_depthwise needs.
size_t qc_depthwise_scratch_size(const qc_conv_geometry *g);

// Output planes [first, end) of a depthwise convolution (one input channel per group, g->channels
// ignored), planes numbered n * out_channels + m: plane p reads input plane p / multiplier (multiplier =
// output channels per input channel) and writes y + (p - first) * plane size:
// y[o] = bias[m] + sum over taps k of w[m][k] * x[o * stride - pad + k * dilation] (0 outside x), taps
// in (kd, kh, kw) order; bias may be NULL.
void qc_depthwise(const float *x, const float *w, const float *bias, const qc_conv_geometry *g, int out_channels,
                  int multiplier, int first, int end, float *y, float *scratch);

// out[i * factor + r] = in[i] for i < n, r < factor.
void qc_repeat(const float *in, int n, int factor, float *out);

// Floats of scratch qc_pool needs.
size_t qc_pool_scratch_size(const qc_conv_geometry *g);

// Planes [first, end) of a pooling (g->channels ignored) into y + (p - first) * plane size: with the
// counts NULL, y[o] = max over taps of x[o * stride - pad + k * dilation] (positions inside x only;
// the lowest float when there are none); else y[o] = (sum over those taps) / (count_d[od] *
// count_h[oh] * count_w[ow]).
void qc_pool(const float *x, const qc_conv_geometry *g, const float *count_d, const float *count_h, const float *count_w,
             int first, int end, float *y, float *scratch);

// Unary elementwise formulas of qc_unary, with the parameters they take.
typedef enum {
    QC_RELU,          // max(x, 0)
    QC_CLIP,          // min(max(x, p0), p1)
    QC_SIGMOID,       // 1 / (1 + e^-x)
    QC_HARD_SIGMOID,  // max(0, min(1, p0 * x + p1))
    QC_HARD_SWISH,    // x * max(0, min(1, x / 6 + 0.5))
    QC_EXP,           // e^x (a degree-7 polynomial, relative error below 4e-7)
    QC_AFFINE,        // x * p0 + p1
} qc_unary_op;

// y[i] = f(x[i]) for i < n, with max/min taking NaN and ties as Swift's do, and no FMA contraction, so
// results equal the ops' Swift formulas bit for bit.
void qc_unary(qc_unary_op op, float p0, float p1, const float *x, float *y, size_t n);

// Binary arithmetic of qc_binary.
typedef enum { QC_ADD, QC_SUB, QC_MUL, QC_DIV } qc_binary_op;

// out[i] = a[i * a_step] op b[i * b_step] for i < n, where each step is 0 (one value, broadcast) or 1.
void qc_binary(qc_binary_op op, const float *a, int a_step, const float *b, int b_step, float *out, size_t n);

// Makes glibc malloc keep freed memory for reuse (no-op elsewhere): blocks up to 32 MB come from the
// heap instead of their own mmap, and the heap is not trimmed until 1 GB of it is free. An interpreter
// frees and re-allocates the same activation sizes every sample; with glibc's defaults each of those
// went back to the kernel and page-faulted in again.
void qc_retain_freed_memory(void);

/// Whether this CPU has VNNI (AVX512_VNNI or AVX_VNNI): 8-bit integer dot products summed straight
/// into 32 bits. Without it ONNX Runtime's u8 x s8 kernels sum pairs of products in 16 bits.
int qc_cpu_has_vnni(void);

// Integer GEMM (igemm.c) and convolution (iconv.c) for the quantized ops: int32 C = A B over 8-bit
// operands minus their zero points. Operands are packed as int16 pairs of consecutive k, in panels of
// qc_igemm_tile_rows() rows of A and qc_igemm_tile_columns() columns of B; every element is an exact
// int32 sum.
int qc_igemm_tile_rows(void);
int qc_igemm_tile_columns(void);

// int16s a packed m x k A takes.
size_t qc_igemm_packed_a_size(int m, int k);

// Packs A[i][p] = a[i * row_stride + p * column_stride] - zero_points[i], a int8 (is_signed) or uint8.
void qc_igemm_pack_a(const void *a, int is_signed, const int32_t *zero_points, int m, int k, ptrdiff_t row_stride,
                     ptrdiff_t column_stride, int16_t *packed);

// int16s a packed k x n B takes.
size_t qc_igemm_packed_b_size(int k, int n);

// Packs B[p][j] = b[p * row_stride + j * column_stride] - zero_points[j], b int8 (is_signed) or uint8.
void qc_igemm_pack_b(const void *b, int is_signed, const int32_t *zero_points, int k, int n, ptrdiff_t row_stride,
                     ptrdiff_t column_stride, int16_t *packed);

// c[i][j] = sum_p A[i][p] * B[p][j] for i < m, j < n (int32, wrapping), c with row stride ldc. packed_a
// may start at any multiple of the tile rows of a packed A.
void qc_igemm(const int16_t *packed_a, int m, int k, const int16_t *packed_b, int n, int32_t *c, int ldc);

// int16s of one padded plane for the integer convolution of geometry g: every row, column and slice
// the outputs' windows reach.
size_t qc_iconv_plane_size(const qc_conv_geometry *g);

// Writes `planes` consecutive planes of image (int8 or uint8, in_d*in_h*in_w values each) as padded
// int16 planes of value - zero_point, 0 outside the image, qc_iconv_plane_size(g) apart.
void qc_iconv_pad(const void *image, int is_signed, int zero_point, const qc_conv_geometry *g, int planes, int16_t *padded);

// int16s of scratch qc_iconv needs.
size_t qc_iconv_scratch_size(const qc_conv_geometry *g);

// c[i][j] = sum_p A[i][p] * im2col[p][n0 + j] for output positions [n0, n1) of one image and group, the
// im2col matrix (rows in (channel, kd, kh, kw) order) read from the group's g->channels padded planes;
// c points at position n0 of output channel 0.
void qc_iconv(const int16_t *packed_a, int m, const int16_t *padded, const qc_conv_geometry *g, int n0, int n1, int32_t *c,
              int ldc, int16_t *scratch);

// One output plane of a depthwise integer convolution: y[o] = sum over taps t (kd, kh, kw order) of
// weights[t] * padded[o * stride + t * dilation], from one padded input plane.
void qc_idepthwise(const int16_t *padded, const int16_t *weights, const qc_conv_geometry *g, int32_t *y);

#ifdef __cplusplus
}
#endif

#endif
