/* Operator avgpool (global), dsp kernel: the reference code, not yet optimized (one pass over the
 * last feature map, a small share of any network's work); see rig_kernels.h. */
#include "rig_kernel_util.h"

void rig_avgpool_global_s8(const rig_pool_params *p, const int8_t *in, int8_t *out)
{
    const int32_t count = (int32_t)p->in_h * p->in_w;
    for (int32_t c = 0; c < p->c; c++) {
        int32_t acc = 0;
        for (int32_t i = 0; i < count; i++) acc += in[i * p->c + c];
        int32_t avg = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
        out[c] = clamp_s8(avg, p->act_min, p->act_max);
    }
}
