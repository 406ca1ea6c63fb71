// Repeating each float of a row `factor` times: the inner loop of integer nearest-neighbour
// upsampling (Resize, Upsample). See CKernels.h.
#include "CKernels.h"

__attribute__((target_clones("avx512f", "avx2", "default")))
void qc_repeat(const float *in, int n, int factor, float *out) {
    if (factor == 2) {  // the common case, written so that it vectorises into interleaving shuffles
        for (int i = 0; i < n; i++) {
            out[2 * i] = in[i];
            out[2 * i + 1] = in[i];
        }
        return;
    }
    for (int i = 0; i < n; i++)
        for (int r = 0; r < factor; r++) out[i * factor + r] = in[i];
}
