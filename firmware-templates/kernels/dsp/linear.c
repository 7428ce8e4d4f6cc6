/* Operator linear (a fully connected layer on every token), dsp kernel; see rig_kernels.h. On
 * tokens a linear layer is a 1x1 convolution of the window's pixels with the same weights, zero
 * points and requantization: out of place the call is rig_conv2d_s8's (dsp/conv2d.c, its GEMM path
 * over runs of pixels). In place, when the convolution would take its GEMM path (rig_dsp_gemm.h)
 * and the window's tokens lie back to back, a chunk of tokens at a time: each token copied to the
 * scratch and widened from there onto the stack, then the chunk's outputs written; chunks go the
 * way tokens go (rig_kernels.h), so that they overwrite only tokens already widened. Otherwise token
 * by token: the token copied to the scratch and widened from there, less its zero point, to
 * halfword pairs on the stack, then two output channels at a time meet it with SMLAD, their weights
 * widened with SXTB16 in the loop. */
#include "rig_dsp_arith.h"
#include "rig_dsp_gemm.h"

/* The longest token the token-by-token path widens on the stack (2 bytes a channel); longer ones,
 * or accumulators dsp_requantize does not cover, take the reference loop through the scratch. */
#define LIN_TOKEN_MAX 1024

/* The linear layer as a 1x1 convolution over the window. Its extent only bounds the taps: the
 * window's last row and column lie inside it. */
static rig_conv_params lin_as_conv(const rig_linear_params *p, const rig_window *win)
{
    const rig_conv_params c = {
        .in_h = win->y1, .in_w = win->x1, .in_c = p->in_c,
        .out_h = win->y1, .out_w = win->x1, .out_c = p->out_c,
        .kh = 1, .kw = 1, .stride = 1, .pad_top = 0, .pad_left = 0,
        .in_zp = p->in_zp, .out_zp = p->out_zp, .act_min = p->act_min, .act_max = p->act_max,
        .weights = p->weights, .bias = p->bias, .multiplier = p->multiplier, .shift = p->shift,
    };
    return c;
}

/* In place by the GEMM path: n tokens back to back at data (in_c bytes each in, out_c out), a chunk
 * at a time, forwards or backwards. */
__attribute__((noinline)) static void lin_inplace_gemm(const rig_conv_params *c, const int8_t *in, int8_t *out, int8_t *scratch, int32_t n, int backwards)
{
    gemm_ctx g;
    gemm_prepare(c, &g);
    const int32_t in_c = c->in_c, out_c = c->out_c;
    for (int32_t k = 0; k < n; k += g.chunk) {
        const int32_t m = n - k < g.chunk ? n - k : g.chunk;
        const int32_t i0 = backwards ? n - k - m : k;
        for (int32_t i = 0; i < m; i++) {
            memcpy(scratch, in + (i0 + i) * in_c, (uint32_t)in_c);
            gemm_widen(scratch, in_c, (int8_t)c->in_zp, 1, gemm_slot(&g, i), 2);
        }
        gemm_multiply(c, &g, out + i0 * out_c, m);
    }
}

/* One token from the scratch copy of its in_c inputs (the reference arithmetic). */
static void lin_token_reference(const rig_linear_params *p, const int8_t *src, int8_t *dst)
{
    const int32_t in_c = p->in_c;
    for (int32_t o = 0; o < p->out_c; o++) {
        int32_t acc = p->bias[o];
        const int8_t *wo = p->weights + o * in_c;
        for (int32_t i = 0; i < in_c; i++) acc += ((int32_t)src[i] - p->in_zp) * (int32_t)wo[i];
        dst[o] = clamp_s8(rig_requantize(acc, p->multiplier[o], p->shift[o]) + p->out_zp, p->act_min, p->act_max);
    }
}

/* Four int8 values less z2 (z in both halves) as two words of halfword pairs (bytes 0 and 2, then
 * 1 and 3). */
static inline void lin_widen(uint32_t v, int32_t z2, uint32_t *dst)
{
    dst[0] = (uint32_t)__ssub16(sx02(v), z2);
    dst[1] = (uint32_t)__ssub16(sx13(v), z2);
}

/* The last n < 4 bytes of a row as a word, the rest filled with `fill`. */
static inline uint32_t lin_tail(const int8_t *src, int32_t n, int8_t fill)
{
    uint32_t v = (uint8_t)fill * 0x01010101u;
    for (int32_t j = 0; j < n; j++) v = (v & ~(0xffu << 8 * j)) | (uint32_t)(uint8_t)src[j] << 8 * j;
    return v;
}

/* Every output channel of one token whose inputs are widened at xw (groups = in_c / 4 rounded up,
 * two words each; a partial last group padded with zeros). */
__attribute__((noinline)) static void lin_token(const rig_linear_params *p, const uint32_t *xw, int8_t *dst)
{
    const int32_t in_c = p->in_c, out_c = p->out_c, k4 = in_c & ~3, groups = (in_c + 3) / 4;
    const int32_t out_zp = p->out_zp, lo = p->act_min, hi = p->act_max;
    for (int32_t o = 0; o < out_c; o += 2) {
        /* An odd last channel is paired with itself. */
        const int32_t o1 = o + 1 < out_c ? o + 1 : o;
        const int8_t *w0 = p->weights + o * in_c, *w1 = p->weights + o1 * in_c;
        int32_t a0 = p->bias[o], a1 = p->bias[o1];
        const uint32_t *px = xw;
        for (int32_t c = 0; c < k4; c += 4, px += 2) {
            const uint32_t u = ld32(w0 + c), v = ld32(w1 + c);
            a0 = __smlad((int32_t)px[0], sx02(u), a0);
            a1 = __smlad((int32_t)px[0], sx02(v), a1);
            a0 = __smlad((int32_t)px[1], sx13(u), a0);
            a1 = __smlad((int32_t)px[1], sx13(v), a1);
        }
        if (k4 < in_c) {
            const uint32_t u = lin_tail(w0 + k4, in_c - k4, 0), v = lin_tail(w1 + k4, in_c - k4, 0);
            const uint32_t *pt = xw + 2 * (groups - 1);
            a0 = __smlad((int32_t)pt[0], sx02(u), a0);
            a1 = __smlad((int32_t)pt[0], sx02(v), a1);
            a0 = __smlad((int32_t)pt[1], sx13(u), a0);
            a1 = __smlad((int32_t)pt[1], sx13(v), a1);
        }
        dst[o] = clamp_s8(dsp_requantize(a0, dsp_rq_of(p->multiplier[o], p->shift[o])) + out_zp, lo, hi);
        dst[o1] = clamp_s8(dsp_requantize(a1, dsp_rq_of(p->multiplier[o1], p->shift[o1])) + out_zp, lo, hi);
    }
}

/* In place token by token (in == out, the same view): tokens in the order rig_kernels.h gives, each
 * copied to the scratch (and from there widened on the stack) before its outputs are written. */
__attribute__((noinline)) static void lin_inplace_tokens(const rig_linear_params *p, const rig_window *win, const int8_t *in, int8_t *out, int8_t *scratch)
{
    const int32_t in_c = p->in_c, out_c = p->out_c, w = win->x1 - win->x0, n = (win->y1 - win->y0) * w;
    const int fast = in_c <= LIN_TOKEN_MAX && dsp_rq_fits_all(p->bias, p->multiplier, p->shift, out_c, (uint32_t)in_c);
    const int32_t z2 = (int32_t)((uint16_t)p->in_zp * 0x00010001u), k4 = in_c & ~3;
    uint32_t xw[LIN_TOKEN_MAX / 2];
    for (int32_t k = 0; k < n; k++) {
        const int32_t j = out_c > in_c ? n - 1 - k : k;
        const int32_t y = win->y0 + j / w, x = win->x0 + j % w;
        const int8_t *src = in + at(&win->in, y, x) * in_c;
        int8_t *dst = out + at(&win->out, y, x) * out_c;
        memcpy(scratch, src, (uint32_t)in_c);
        if (fast) {
            int32_t c = 0;
            for (; c < k4; c += 4) lin_widen(ld32(scratch + c), z2, xw + c / 2);
            if (c < in_c) lin_widen(lin_tail(scratch + c, in_c - c, (int8_t)p->in_zp), z2, xw + c / 2);
            lin_token(p, xw, dst);
        } else {
            lin_token_reference(p, scratch, dst);
        }
    }
}

void rig_linear_s8(const rig_linear_params *p, const rig_window *win, const int8_t *in, int8_t *out, int8_t *scratch)
{
    const rig_conv_params c = lin_as_conv(p, win);
    if (scratch == NULL) {
        rig_conv2d_s8(&c, win, in, out);
        return;
    }
    const int32_t w = win->x1 - win->x0, n = (win->y1 - win->y0) * w;
    if (w == win->in.w && w == win->out.w && dsp_rq_fits_all(p->bias, p->multiplier, p->shift, p->out_c, p->in_c) && gemm_fits(&c, p->in_c))
        lin_inplace_gemm(&c, in + at(&win->in, win->y0, win->x0) * p->in_c, out + at(&win->out, win->y0, win->x0) * p->out_c, scratch, n,
                         p->out_c > p->in_c);
    else
        lin_inplace_tokens(p, win, in, out, scratch);
}
