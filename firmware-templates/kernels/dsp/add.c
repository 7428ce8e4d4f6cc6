/* Operator add (residual), dsp kernel (the reference code for now); see rig_kernels.h. */
#include "rig_kernel_util.h"

void rig_add_s8(const rig_add_params *p, const rig_window *win, const int8_t *a, const int8_t *b, int8_t *out)
{
    const int32_t lift = 1 << p->left_shift, c_n = p->c;
    for (int32_t y = win->y0; y < win->y1; y++) {
        for (int32_t x = win->x0; x < win->x1; x++) {
            const int8_t *pa = a + at(&win->in, y, x) * c_n;
            const int8_t *pb = b + at(&win->in2, y, x) * c_n;
            int8_t *po = out + at(&win->out, y, x) * c_n;
            for (int32_t c = 0; c < c_n; c++) {
                int32_t sa = rig_requantize(((int32_t)pa[c] - p->in1_zp) * lift, p->in1_mult, p->in1_shift);
                int32_t sb = rig_requantize(((int32_t)pb[c] - p->in2_zp) * lift, p->in2_mult, p->in2_shift);
                int32_t v = rig_requantize(sa + sb, p->out_mult, p->out_shift) + p->out_zp;
                po[c] = clamp_s8(v, p->act_min, p->act_max);
            }
        }
    }
}
