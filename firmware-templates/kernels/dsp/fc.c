/* Operator fc (fully connected), dsp kernel (the reference code for now); see rig_kernels.h. */
#include "rig_kernel_util.h"

void rig_fc_s8(const rig_fc_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t o = 0; o < p->out_n; o++) {
        int32_t acc = p->bias[o];
        const int8_t *w = p->weights + (uint32_t)o * p->in_n;
        for (uint32_t i = 0; i < p->in_n; i++) acc += ((int32_t)in[i] - p->in_zp) * (int32_t)w[i];
        int32_t v = rig_requantize(acc, p->multiplier[o], p->shift[o]) + p->out_zp;
        out[o] = clamp_s8(v, p->act_min, p->act_max);
    }
}
