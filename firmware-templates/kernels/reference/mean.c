/* Operator mean (over rows and columns, requantized), reference kernel; see rig_kernels.h. */
#include "rig_kernel_util.h"

void rig_mean_s8(const rig_mean_params *p, const int8_t *in, int8_t *out)
{
    const int32_t count = (int32_t)p->in_h * p->in_w, c_n = p->c;
    for (int32_t c = 0; c < c_n; c++) {
        int32_t sum = 0;
        for (int32_t i = 0; i < count; i++) sum += in[i * c_n + c];
        /* The sum less count zero points, in int32 as TFLite's kernel forms it. */
        const int32_t shifted = (int32_t)((uint32_t)sum - (uint32_t)p->in_zp * (uint32_t)count);
        const int32_t v = rig_requantize(shifted, p->multiplier, p->shift) + p->out_zp;
        out[c] = clamp_s8(v, -128, 127);
    }
}
