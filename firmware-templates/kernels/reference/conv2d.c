/* Operator conv2d, reference kernel; see rig_kernels.h. */
#include "rig_kernel_util.h"

void rig_conv2d_s8(const rig_conv_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    /* Copied to locals: stores through `out` may alias anything, so the compiler would reload. */
    const rig_view iv = win->in, ov = win->out;
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, out_c = p->out_c;
    const int32_t kh = p->kh, kw = p->kw, stride = p->stride;
    const int32_t in_zp = p->in_zp, out_zp = p->out_zp, act_min = p->act_min, act_max = p->act_max;
    for (int32_t oy = win->y0; oy < win->y1; oy++) {
        for (int32_t ox = win->x0; ox < win->x1; ox++) {
            const int32_t y0 = oy * stride - p->pad_top;
            const int32_t x0 = ox * stride - p->pad_left;
            int8_t *dst = out + at(&ov, oy, ox) * out_c;
            for (int32_t oc = 0; oc < out_c; oc++) {
                int32_t acc = p->bias[oc];
                const int8_t *w = p->weights + oc * kh * kw * in_c;
                for (int32_t ky = 0; ky < kh; ky++) {
                    const int32_t iy = y0 + ky;
                    if (iy < 0 || iy >= in_h) continue;
                    for (int32_t kx = 0; kx < kw; kx++) {
                        const int32_t ix = x0 + kx;
                        if (ix < 0 || ix >= in_w) continue;
                        const int8_t *src = in + at(&iv, iy, ix) * in_c;
                        const int8_t *wk = w + (ky * kw + kx) * in_c;
                        for (int32_t ic = 0; ic < in_c; ic++)
                            acc += ((int32_t)src[ic] - in_zp) * (int32_t)wk[ic];
                    }
                }
                int32_t v = rig_requantize(acc, p->multiplier[oc], p->shift[oc]) + out_zp;
                dst[oc] = clamp_s8(v, act_min, act_max);
            }
        }
    }
}
