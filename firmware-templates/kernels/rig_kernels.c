/* rig int8 reference kernels; see rig_kernels.h. */
#include <string.h>
#include "rig_kernels.h"

static inline int32_t srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / (1ll << 31));
}

static inline int32_t rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    int32_t mask = (int32_t)((1u << exponent) - 1u);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t rig_requantize(int32_t acc, int32_t multiplier, int32_t shift)
{
    int32_t left = shift > 0 ? shift : 0;
    int32_t right = shift > 0 ? 0 : -shift;
    int32_t shifted = (int32_t)((uint32_t)acc * (1u << left));
    return rounding_divide_by_pot(srdhm(shifted, multiplier), right);
}

static inline int8_t clamp_s8(int32_t v, int32_t lo, int32_t hi)
{
    return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

/* Offset of pixel (y, x) in a buffer holding view v, in pixels. */
static inline int32_t at(const rig_view *v, int32_t y, int32_t x)
{
    return (y - v->y0) * v->w + (x - v->x0);
}

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

void rig_dwconv2d_s8_inplace(const rig_conv_params *p, const rig_window *win, int8_t *data, int8_t *scratch)
{
    const int32_t c_n = p->out_c, pixels = (int32_t)win->in.h * win->in.w;
    for (int32_t c = 0; c < c_n; c++) {
        for (int32_t i = 0; i < pixels; i++) scratch[i] = data[i * c_n + c];
        dwconv_channel(p, win, c, scratch, 1, data + c);
    }
}

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

void rig_copy_s8(const rig_window *win, uint16_t c, const int8_t *in, int8_t *out)
{
    const uint32_t row = (uint32_t)(win->x1 - win->x0) * c;
    for (int32_t y = win->y0; y < win->y1; y++)
        memcpy(out + at(&win->out, y, win->x0) * c, in + at(&win->in, y, win->x0) * c, row);
}
