/* Operator linear (a fully connected layer on every token), reference kernel; see rig_kernels.h. */
#include "rig_kernel_util.h"

void rig_linear_s8(const rig_linear_params *p, const rig_window *win, const int8_t *in, int8_t *out, int8_t *scratch)
{
    const int32_t in_c = p->in_c, out_c = p->out_c, in_zp = p->in_zp, out_zp = p->out_zp;
    const int32_t w = win->x1 - win->x0, n = (win->y1 - win->y0) * w;
    /* In place, tokens go backwards when their outputs are longer than their inputs (rig_kernels.h). */
    const int backwards = scratch != NULL && out_c > in_c;
    for (int32_t k = 0; k < n; k++) {
        const int32_t j = backwards ? n - 1 - k : k;
        const int32_t y = win->y0 + j / w, x = win->x0 + j % w;
        const int8_t *src = in + at(&win->in, y, x) * in_c;
        if (scratch != NULL) {
            for (int32_t i = 0; i < in_c; i++) scratch[i] = src[i];
            src = scratch;
        }
        int8_t *dst = out + at(&win->out, y, x) * out_c;
        for (int32_t o = 0; o < out_c; o++) {
            int32_t acc = p->bias[o];
            const int8_t *wo = p->weights + o * in_c;
            for (int32_t i = 0; i < in_c; i++) acc += ((int32_t)src[i] - in_zp) * (int32_t)wo[i];
            int32_t v = rig_requantize(acc, p->multiplier[o], p->shift[o]) + out_zp;
            dst[o] = clamp_s8(v, p->act_min, p->act_max);
        }
    }
}
