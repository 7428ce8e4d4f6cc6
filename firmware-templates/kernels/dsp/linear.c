/* Operator linear (a fully connected layer on every token), dsp kernel; see rig_kernels.h. On
 * tokens a linear layer is a 1x1 convolution of the window's pixels with the same weights, zero
 * points and requantization: out of place the call is rig_conv2d_s8's (dsp/conv2d.c, its GEMM path
 * over runs of pixels). In place, when the window's tokens lie back to back, a chunk of tokens at a
 * time: each token copied to the scratch and widened from there, less its zero point, to halfword
 * pairs on the stack, then the chunk's outputs written; chunks go the way tokens go
 * (rig_kernels.h), so that they overwrite only tokens already widened. The chunk is multiplied by
 * the GEMM core (rig_dsp_gemm.h) when the convolution would take it, else two output channels of
 * two tokens per pass with SMLAD, the weights widened with SXTB16 in the loop. Anything else goes
 * token by token through the scratch with the reference arithmetic. */
#include "rig_dsp_arith.h"
#include "rig_dsp_gemm.h"

/* Words of the stack buffer that holds a chunk of widened tokens in place off the GEMM path, and
 * the most tokens in a chunk. Longer tokens than fit twice, or accumulators dsp_requantize does not
 * cover, take the reference loop token by token through the scratch. */
#define LIN_X_WORDS 768
#define LIN_CHUNK 32

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

/* In place by the GEMM core: n tokens back to back at in (in_c bytes each) and out (out_c bytes
 * each, the same buffer), a chunk at a time, forwards or backwards. */
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

/* In place by the reference arithmetic, token by token (in == out, the same view), in the order
 * rig_kernels.h gives, each copied to the scratch before its outputs are written. */
static void lin_inplace_reference(const rig_linear_params *p, const rig_window *win, const int8_t *in, int8_t *out, int8_t *scratch)
{
    const int32_t in_c = p->in_c, out_c = p->out_c, w = win->x1 - win->x0, n = (win->y1 - win->y0) * w;
    for (int32_t k = 0; k < n; k++) {
        const int32_t j = out_c > in_c ? n - 1 - k : k;
        const int32_t y = win->y0 + j / w, x = win->x0 + j % w;
        memcpy(scratch, in + at(&win->in, y, x) * in_c, (uint32_t)in_c);
        lin_token_reference(p, scratch, out + at(&win->out, y, x) * out_c);
    }
}

/* The last n < 4 weights of a row as a word, zeros after them (no load past the row). */
static inline uint32_t lin_tail(const int8_t *w, int32_t n)
{
    uint32_t v = 0;
    for (int32_t j = 0; j < n; j++) v |= (uint32_t)(uint8_t)w[j] << 8 * j;
    return v;
}

/* Four taps of a token pair (their widened words a02, b02, a13, b13) against the weight words u, v
 * of two channels. */
#define LIN_STEP(xp, u, v)                                                                                             \
    do {                                                                                                               \
        const int32_t a02_ = (int32_t)(xp)[0], b02_ = (int32_t)(xp)[1], a13_ = (int32_t)(xp)[2], b13_ = (int32_t)(xp)[3]; \
        int32_t w_ = sx02(u);                                                                                          \
        a0 = __smlad(a02_, w_, a0);                                                                                    \
        b0 = __smlad(b02_, w_, b0);                                                                                    \
        w_ = sx13(u);                                                                                                  \
        a0 = __smlad(a13_, w_, a0);                                                                                    \
        b0 = __smlad(b13_, w_, b0);                                                                                    \
        w_ = sx02(v);                                                                                                  \
        a1 = __smlad(a02_, w_, a1);                                                                                    \
        b1 = __smlad(b02_, w_, b1);                                                                                    \
        w_ = sx13(v);                                                                                                  \
        a1 = __smlad(a13_, w_, a1);                                                                                    \
        b1 = __smlad(b13_, w_, b1);                                                                                    \
    } while (0)

/* The accumulators of channels w0, w1 (in_c weights each, biases b0, b1) of `pairs` token pairs
 * widened at x as gemm_slot lays them out (pair j's words interleaved at x + 2 * j * words): the
 * tokens' words against the weights widened with SXTB16 in the loop. Token i's land at acc0[i],
 * acc1[i]. */
__attribute__((noinline)) static void lin_pair_acc(const uint32_t *x, int32_t words, int32_t pairs, const int8_t *w0, const int8_t *w1, int32_t in_c, int32_t b0_, int32_t b1_,
                                                   int32_t *acc0, int32_t *acc1)
{
    const int32_t k4 = in_c & ~3, dv = (int32_t)(w1 - w0);
    for (int32_t j = 0; j < pairs; j++) {
        const uint32_t *px = x + 2 * j * words;
        int32_t a0 = b0_, a1 = b1_, b0 = b0_, b1 = b1_;
        const int8_t *pw = w0, *end = w0 + k4;
        for (; pw != end; pw += 4, px += 4) {
            const uint32_t u = ld32(pw), v = ld32(pw + dv);
            LIN_STEP(px, u, v);
        }
        if (k4 < in_c) LIN_STEP(px, lin_tail(pw, in_c - k4), lin_tail(pw + dv, in_c - k4));
        acc0[2 * j] = a0;
        acc1[2 * j] = a1;
        acc0[2 * j + 1] = b0;
        acc1[2 * j + 1] = b1;
    }
}

/* In place off the GEMM path: n tokens back to back at in (in_c bytes each, out_c out), a chunk at a
 * time, forwards or backwards: the chunk's tokens copied to the scratch and widened from there,
 * less the zero point, onto the stack; then each pair of output channels for every token pair. */
__attribute__((noinline)) static void lin_inplace_pairs(const rig_conv_params *c, const int8_t *in, int8_t *out, int8_t *scratch, int32_t n, int backwards)
{
    uint32_t x[LIN_X_WORDS];
    int32_t acc0[LIN_CHUNK], acc1[LIN_CHUNK];
    const int32_t in_c = c->in_c, out_c = c->out_c, words = ((in_c + 3) & ~3) / 2, fit = (LIN_X_WORDS / words) & ~1;
    const int32_t chunk = fit < LIN_CHUNK ? fit : LIN_CHUNK;
    for (int32_t k = 0; k < n; k += chunk) {
        const int32_t m = n - k < chunk ? n - k : chunk, pairs = (m + 1) / 2;
        const int32_t i0 = backwards ? n - k - m : k;
        for (int32_t i = 0; i < m; i++) {
            memcpy(scratch, in + (i0 + i) * in_c, (uint32_t)in_c);
            gemm_widen(scratch, in_c, (int8_t)c->in_zp, 1, x + (i / 2) * 2 * words + (i & 1), 2);
        }
        /* An odd last token is paired with a column of zeros. */
        if (m & 1)
            for (int32_t t = 0; t < words; t++) x[(m / 2) * 2 * words + 2 * t + 1] = 0;
        int8_t *dst = out + i0 * out_c;
        for (int32_t o = 0; o < out_c; o += 2) {
            /* An odd last channel is paired with itself. */
            const int32_t o1 = o + 1 < out_c ? o + 1 : o;
            lin_pair_acc(x, words, pairs, c->weights + o * in_c, c->weights + o1 * in_c, in_c, c->bias[o], c->bias[o1], acc0, acc1);
            dsp_store(acc0, m, dst + o, out_c, dsp_rq_of(c->multiplier[o], c->shift[o]), c->out_zp, c->act_min, c->act_max);
            if (o1 != o) dsp_store(acc1, m, dst + o1, out_c, dsp_rq_of(c->multiplier[o1], c->shift[o1]), c->out_zp, c->act_min, c->act_max);
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
    const int32_t w = win->x1 - win->x0, n = (win->y1 - win->y0) * w, words = ((p->in_c + 3) & ~3) / 2;
    const int backwards = p->out_c > p->in_c;
    if (w != win->in.w || w != win->out.w || !dsp_rq_fits_all(p->bias, p->multiplier, p->shift, p->out_c, p->in_c) || 2 * words > LIN_X_WORDS) {
        lin_inplace_reference(p, win, in, out, scratch);
        return;
    }
    /* The window's tokens lie back to back in the buffer. */
    const int8_t *src = in + at(&win->in, win->y0, win->x0) * p->in_c;
    int8_t *dst = out + at(&win->out, win->y0, win->x0) * p->out_c;
    if (gemm_fits(&c, p->in_c))
        lin_inplace_gemm(&c, src, dst, scratch, n, backwards);
    else
        lin_inplace_pairs(&c, src, dst, scratch, n, backwards);
}
