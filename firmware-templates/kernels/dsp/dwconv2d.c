/* Operator dwconv2d, dsp kernel (the reference code for now)s (plain and in place); see rig_kernels.h. */
#include "rig_kernel_util.h"

/* One channel of a depthwise convolution over the window: input pixel (y, x) of the channel is
 * src[at(in, y, x) * src_step], output pixel (y, x) goes to out[at(out, y, x) * c_n]. */
static void dwconv_channel(const rig_conv_params *p, const rig_window *win, int32_t c, const int8_t *src, int32_t src_step, int8_t *out)
{
    const rig_view iv = win->in, ov = win->out;
    const int32_t in_h = p->in_h, in_w = p->in_w, c_n = p->out_c;
    const int32_t kh = p->kh, kw = p->kw, stride = p->stride;
    const int32_t in_zp = p->in_zp, bias = p->bias[c], mult = p->multiplier[c], shift = p->shift[c];
    const int32_t out_zp = p->out_zp, act_min = p->act_min, act_max = p->act_max;
    const int8_t *weights = p->weights + c;
    for (int32_t oy = win->y0; oy < win->y1; oy++) {
        for (int32_t ox = win->x0; ox < win->x1; ox++) {
            const int32_t y0 = oy * stride - p->pad_top;
            const int32_t x0 = ox * stride - p->pad_left;
            int32_t acc = bias;
            for (int32_t ky = 0; ky < kh; ky++) {
                const int32_t iy = y0 + ky;
                if (iy < 0 || iy >= in_h) continue;
                for (int32_t kx = 0; kx < kw; kx++) {
                    const int32_t ix = x0 + kx;
                    if (ix < 0 || ix >= in_w) continue;
                    acc += ((int32_t)src[at(&iv, iy, ix) * src_step] - in_zp) * (int32_t)weights[(ky * kw + kx) * c_n];
                }
            }
            int32_t v = rig_requantize(acc, mult, shift) + out_zp;
            out[at(&ov, oy, ox) * c_n] = clamp_s8(v, act_min, act_max);
        }
    }
}

void rig_dwconv2d_s8(const rig_conv_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    for (int32_t c = 0; c < p->out_c; c++) dwconv_channel(p, win, c, in + c, p->out_c, out + c);
}

void rig_dwconv2d_s8_inplace(const rig_conv_params *p, const rig_window *win, int8_t *data, int8_t *scratch)
{
    const int32_t c_n = p->out_c, pixels = (int32_t)win->in.h * win->in.w;
    for (int32_t c = 0; c < c_n; c++) {
        for (int32_t i = 0; i < pixels; i++) scratch[i] = data[i * c_n + c];
        dwconv_channel(p, win, c, scratch, 1, data + c);
    }
}
