/* Operator conv2d, dsp kernel; see rig_kernels.h. A convolution is a matrix multiply of columns
 * by the weights: a 1x1's columns are its input pixels, other kernels gather each output pixel's
 * taps into a column (im2col). Columns of at most GEMM_K_MAX taps, under the usual requantization
 * (gemm_fits), take the GEMM path below: columns and weights widened to halfword pairs once, two
 * pixels by four output channels with SMLAD alone. Other calls go two output channels of two pixels
 * at a time, four input channels per step widened with SXTB16 in the loop and multiplied with
 * SMLAD, the input zero point out of the inner loop (sum((x - z) w) = sum(x w) - z sum(w), the
 * weight sums formed once per call). */
#include "rig_dsp_arith.h"

/* sum of n int8 weights. */
static int32_t weight_sum(const int8_t *w, int32_t n)
{
    int32_t s = 0, i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t v = ld32(w + i);
        s = __smlad(sx02(v), 0x00010001, s);
        s = __smlad(sx13(v), 0x00010001, s);
    }
    for (; i < n; i++) s += w[i];
    return s;
}

/* Pixels whose accumulators are formed before they are requantized together. */
#define PW_CHUNK 32

/* Four input channels of pixels a and b against the weights u (channel 0) and v (channel 1). */
#define PW_STEP(pa, pb, pu, pv)                                                                                        \
    do {                                                                                                               \
        uint32_t va_ = ld32(pa), u_ = ld32(pu);                                                                        \
        int32_t a02_ = sx02(va_), u02_ = sx02(u_);                                                                     \
        a0 = __smlad(a02_, u02_, a0);                                                                                  \
        int32_t a13_ = sx13(va_), u13_ = sx13(u_);                                                                     \
        a0 = __smlad(a13_, u13_, a0);                                                                                  \
        uint32_t vb_ = ld32(pb);                                                                                       \
        int32_t b02_ = sx02(vb_);                                                                                      \
        b0 = __smlad(b02_, u02_, b0);                                                                                  \
        int32_t b13_ = sx13(vb_);                                                                                      \
        b0 = __smlad(b13_, u13_, b0);                                                                                  \
        uint32_t v_ = ld32(pv);                                                                                        \
        int32_t v02_ = sx02(v_);                                                                                       \
        a1 = __smlad(a02_, v02_, a1);                                                                                  \
        b1 = __smlad(b02_, v02_, b1);                                                                                  \
        int32_t v13_ = sx13(v_);                                                                                       \
        a1 = __smlad(a13_, v13_, a1);                                                                                  \
        b1 = __smlad(b13_, v13_, b1);                                                                                  \
    } while (0)

/* The accumulators of output channels oc, oc+1 (weights w0, w1, k_n taps each, sums folded into
 * base0, base1) of n <= PW_CHUNK pixels: pixel i's column of k_n taps is at in + i * in_step. */
__attribute__((noinline)) static void pw_pair_acc(const int8_t *w0, const int8_t *w1, int32_t k_n, int32_t base0, int32_t base1, const int8_t *in, int32_t in_step, int32_t n, int32_t *acc0, int32_t *acc1)
{
    const int32_t k8 = k_n & ~7, k4 = k_n & ~3;
    int32_t i = 0;
    for (; i + 2 <= n; i += 2) {
        const int8_t *a = in + i * in_step, *b = a + in_step;
        int32_t a0 = base0, a1 = base1, b0 = base0, b1 = base1;
        const int8_t *pa = a, *pu = w0, *end = a + k8;
        const int32_t db = (int32_t)(b - a), dv = (int32_t)(w1 - w0);
        while (pa != end) {
            PW_STEP(pa, pa + db, pu, pu + dv);
            PW_STEP(pa + 4, pa + db + 4, pu + 4, pu + dv + 4);
            pa += 8;
            pu += 8;
        }
        if (k4 != k8) PW_STEP(pa, pa + db, pu, pu + dv);
        for (int32_t c = k4; c < k_n; c++) {
            a0 += a[c] * w0[c];
            a1 += a[c] * w1[c];
            b0 += b[c] * w0[c];
            b1 += b[c] * w1[c];
        }
        acc0[i] = a0;
        acc1[i] = a1;
        acc0[i + 1] = b0;
        acc1[i + 1] = b1;
    }
    if (i < n) {
        const int8_t *a = in + i * in_step;
        int32_t a0 = base0, a1 = base1;
        int32_t c = 0;
        for (; c < k4; c += 4) {
            uint32_t va = ld32(a + c), u = ld32(w0 + c), v = ld32(w1 + c);
            int32_t a02 = sx02(va), a13 = sx13(va);
            a0 = __smlad(a02, sx02(u), a0);
            a0 = __smlad(a13, sx13(u), a0);
            a1 = __smlad(a02, sx02(v), a1);
            a1 = __smlad(a13, sx13(v), a1);
        }
        for (; c < k_n; c++) {
            a0 += a[c] * w0[c];
            a1 += a[c] * w1[c];
        }
        acc0[i] = a0;
        acc1[i] = a1;
    }
}

/* Output channels oc, oc+1 of n output pixels: pixel i reads its kh * kw * in_c taps (a column)
 * at in + i * in_step, writes out + i * out_c. */
static void pw_pair(const rig_conv_params *p, int32_t oc, const int8_t *in, int32_t in_step, int8_t *out, int32_t n)
{
    const int32_t k_n = p->kh * p->kw * p->in_c, out_c = p->out_c;
    const int8_t *w0 = p->weights + oc * k_n, *w1 = w0 + k_n;
    const int32_t base0 = p->bias[oc] - p->in_zp * weight_sum(w0, k_n);
    const int32_t base1 = p->bias[oc + 1] - p->in_zp * weight_sum(w1, k_n);
    const dsp_rq q0 = dsp_rq_of(p->multiplier[oc], p->shift[oc]);
    const dsp_rq q1 = dsp_rq_of(p->multiplier[oc + 1], p->shift[oc + 1]);
    int32_t acc0[PW_CHUNK], acc1[PW_CHUNK];
    for (int32_t i = 0; i < n; i += PW_CHUNK) {
        const int32_t m = n - i < PW_CHUNK ? n - i : PW_CHUNK;
        pw_pair_acc(w0, w1, k_n, base0, base1, in + i * in_step, in_step, m, acc0, acc1);
        dsp_store(acc0, m, out + i * out_c, out_c, q0, p->out_zp, p->act_min, p->act_max);
        dsp_store(acc1, m, out + i * out_c + 1, out_c, q1, p->out_zp, p->act_min, p->act_max);
    }
}

/* The last output channel when out_c is odd, n pixels as in pw_pair. */
static void pw_single(const rig_conv_params *p, int32_t oc, const int8_t *in, int32_t in_step, int8_t *out, int32_t n)
{
    const int32_t k_n = p->kh * p->kw * p->in_c, out_c = p->out_c;
    const int8_t *w0 = p->weights + oc * k_n;
    const int32_t base0 = p->bias[oc] - p->in_zp * weight_sum(w0, k_n);
    const dsp_rq q0 = dsp_rq_of(p->multiplier[oc], p->shift[oc]);
    const int32_t k4 = k_n & ~3;
    int32_t acc[PW_CHUNK];
    for (int32_t i0 = 0; i0 < n; i0 += PW_CHUNK) {
        const int32_t m = n - i0 < PW_CHUNK ? n - i0 : PW_CHUNK;
        for (int32_t i = 0; i < m; i++) {
            const int8_t *a = in + (i0 + i) * in_step;
            int32_t a0 = base0;
            int32_t c = 0;
            for (; c < k4; c += 4) {
                uint32_t va = ld32(a + c), u = ld32(w0 + c);
                a0 = __smlad(sx02(va), sx02(u), a0);
                a0 = __smlad(sx13(va), sx13(u), a0);
            }
            for (; c < k_n; c++) a0 += a[c] * w0[c];
            acc[i] = a0;
        }
        dsp_store(acc, m, out + i0 * out_c, out_c, q0, p->out_zp, p->act_min, p->act_max);
    }
}

/* The GEMM path: the columns of a chunk of pixels and the weights of four output channels are
 * widened to halfword pairs (the columns less the input zero point, so that no weight sums are
 * needed), then each pair of pixels meets the four channels with SMLAD alone: per two taps, two
 * column words and four weight words feed eight SMLADs. The weights are widened once per call when
 * every channel's fit the buffer, else a group of four at a time for each chunk. */

/* Bytes of the widened columns of a chunk, of the widened weights, and the most pixels in a chunk;
 * the longest column (taps padded to a multiple of 4) the path takes, four channels' worth of which
 * fill the weights' buffer. */
#define GEMM_X_BYTES 1536
#define GEMM_W_BYTES 1024
#define GEMM_PIXELS 32
#define GEMM_K_MAX (GEMM_W_BYTES / 8)

typedef struct {
    uint32_t x[GEMM_X_BYTES / 4];
    uint32_t w[GEMM_W_BYTES / 4];
    int32_t acc[4 * GEMM_PIXELS];
    /* One gathered column (im2col) before it is widened. */
    int8_t col[GEMM_K_MAX] __attribute__((aligned(4)));
    /* Words of a widened column (even), pixels in a chunk (even), whether w holds every channel. */
    int32_t words, chunk, all;
} gemm_ctx;

/* The halfword pairs of four int8 values v (SXTB16's: bytes 0 and 2, then 1 and 3) at dst[0] and
 * dst[step]: a column's less its zero point (z2: z in both halves), or weights doubled (see below). */
static inline void gemm_widen_word(uint32_t v, int32_t z2, int cols, uint32_t *dst, int32_t step)
{
    const int32_t lo = sx02(v), hi = sx13(v);
    dst[0] = (uint32_t)(cols ? __ssub16(lo, z2) : __sadd16(lo, lo));
    dst[step] = (uint32_t)(cols ? __ssub16(hi, z2) : __sadd16(hi, hi));
}

/* Widens k int8 values to halfword pairs, two words per four values, the words `step` apart; a
 * partial last four is padded with z. Columns (cols, a constant) are widened less their zero point
 * z, so the padding widens to 0; weights (z = 0) doubled, so that the accumulators come out
 * doubled, as the requantization takes them (|2 w| <= 256 and |x - z| <= 255 keep every product,
 * and 2 |acc| < 2^31 the sums, exact). */
static inline void gemm_widen(const int8_t *src, int32_t k, int8_t z, int cols, uint32_t *dst, int32_t step)
{
    const int32_t z2 = (int32_t)((uint16_t)z * 0x00010001u);
    int32_t c = 0;
    for (; c + 4 <= k; c += 4, dst += 2 * step) gemm_widen_word(ld32(src + c), z2, cols, dst, step);
    if (c < k) {
        uint32_t v = (uint8_t)z * 0x01010101u;
        for (int32_t j = 0; c + j < k; j++) v = (v & ~(0xffu << 8 * j)) | (uint32_t)(uint8_t)src[c + j] << 8 * j;
        gemm_widen_word(v, z2, cols, dst, step);
    }
}

/* Two taps of pixels a and b (their words loaded into xa, xb) against four channels' weight words,
 * in assembly: written in C, the loop's fourteen live registers (eight accumulators, two column
 * words, a weight word and three pointers) make the compiler spill the end pointer and give up the
 * post-incremented loads. */
#define GEMM_STEP                                                                                                      \
    "ldrd %[xa], %[xb], [%[px]], #8\n\t"                                                                              \
    "ldr %[w], [%[pw]], #4\n\t"                                                                                       \
    "smlad %[a0], %[xa], %[w], %[a0]\n\t"                                                                             \
    "smlad %[b0], %[xb], %[w], %[b0]\n\t"                                                                             \
    "ldr %[w], [%[pw]], #4\n\t"                                                                                       \
    "smlad %[a1], %[xa], %[w], %[a1]\n\t"                                                                             \
    "smlad %[b1], %[xb], %[w], %[b1]\n\t"                                                                             \
    "ldr %[w], [%[pw]], #4\n\t"                                                                                       \
    "smlad %[a2], %[xa], %[w], %[a2]\n\t"                                                                             \
    "smlad %[b2], %[xb], %[w], %[b2]\n\t"                                                                             \
    "ldr %[w], [%[pw]], #4\n\t"                                                                                       \
    "smlad %[a3], %[xa], %[w], %[a3]\n\t"                                                                             \
    "smlad %[b3], %[xb], %[w], %[b3]\n\t"

/* The accumulators of four channels (biases b) of `pairs` pixel pairs: pair j's widened columns
 * interleaved at x + j * 2 * words (a word of pixel a, then of pixel b), the channels' weight words
 * interleaved at w (four per tap pair); pixel i's accumulators land at acc + 4 * i. words is even. */
__attribute__((noinline)) static void gemm_acc(const uint32_t *x, int32_t words, int32_t pairs, const uint32_t *w, const int32_t *b, int32_t *acc)
{
    for (int32_t j = 0; j < pairs; j++) {
        int32_t a0 = b[0], a1 = b[1], a2 = b[2], a3 = b[3];
        int32_t b0 = a0, b1 = a1, b2 = a2, b3 = a3;
        const uint32_t *px = x + j * 2 * words, *end = px + 2 * words, *pw = w;
        uint32_t xa, xb, wv;
        /* Eight taps per pass, entered halfway when the column holds an odd number of fours (the
         * column is 8 words long in bytes). */
        __asm__("sub %[w], %[end], %[px]\n\t"
                "tst %[w], #16\n\t"
                "bne 2f\n\t"
                "1:\n\t" GEMM_STEP GEMM_STEP "2:\n\t" GEMM_STEP GEMM_STEP "cmp %[px], %[end]\n\t"
                "bne 1b"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [b0] "+r"(b0), [b1] "+r"(b1), [b2] "+r"(b2), [b3] "+r"(b3),
                  [px] "+r"(px), [pw] "+r"(pw), [xa] "=&r"(xa), [xb] "=&r"(xb), [w] "=&r"(wv)
                : [end] "r"(end)
                : "cc", "memory");
        int32_t *o = acc + 8 * j;
        o[0] = a0;
        o[1] = a1;
        o[2] = a2;
        o[3] = a3;
        o[4] = b0;
        o[5] = b1;
        o[6] = b2;
        o[7] = b3;
    }
}

/* (a * b + 2^31) >> 32, plus c: SMMLAR. */
static inline int32_t gemm_smmlar(int32_t a, int32_t b, int32_t c)
{
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
    return r;
}

/* Requantizes the doubled accumulators (a = 2 acc) of n pixels, 4 apart, of `channels` (1 or 2,
 * a constant) adjacent output channels and stores them, pixels out_step bytes apart, for channels
 * that gemm_fits admits: shift = -right with 1 <= right <= 22, multiplier >= 0, |acc| < 2^30 and
 * the whole int8 range as the activation range. Then dsp_requantize(acc) + out_zp is
 * (x + rnd - [x < 0] + out_zp * 2^right) >> right with x = SMMULR(a, multiplier) and
 * rnd = 2^(right - 1): SMMLAR adds rz = rnd + out_zp * 2^right - [a < 0] to x (|x| < 2^30 and,
 * with |out_zp| <= 128, |rz| <= 2^29 + 2^21 + 1, so the sum does not overflow), and [a < 0] may
 * stand for [x < 0]: both are 0 when a >= 0, and when a < 0 but x = 0 both give out_zp. The clamp
 * is then SSAT's. */
static inline void gemm_store_run(const int32_t *acc, int32_t n, int8_t *out, int32_t out_step, const int32_t *mult, const int32_t *shift, int32_t out_zp, int channels)
{
    /* A multiplier of 0 gives out_zp under any right shift: gemm_fits admits it with any shift. */
    const int32_t m0 = mult[0], r0 = m0 == 0 ? 1 : -shift[0], rz0 = (2 * out_zp + 1) << (r0 - 1);
    const int32_t m1 = channels > 1 ? mult[1] : 0, r1 = channels > 1 && m1 != 0 ? -shift[1] : 1, rz1 = channels > 1 ? (2 * out_zp + 1) << (r1 - 1) : 0;
    for (const int32_t *end = acc + 4 * n; acc != end; acc += 4) {
        const int32_t a0 = acc[0], a1 = channels > 1 ? acc[1] : 0;
        out[0] = (int8_t)__ssat(gemm_smmlar(a0, m0, rz0 + (a0 >> 31)) >> r0, 8);
        if (channels > 1) out[1] = (int8_t)__ssat(gemm_smmlar(a1, m1, rz1 + (a1 >> 31)) >> r1, 8);
        out += out_step;
    }
}

__attribute__((noinline)) static void gemm_store1(const int32_t *acc, int32_t n, int8_t *out, int32_t out_step, const int32_t *mult, const int32_t *shift, int32_t out_zp)
{
    gemm_store_run(acc, n, out, out_step, mult, shift, out_zp, 1);
}

__attribute__((noinline)) static void gemm_store2(const int32_t *acc, int32_t n, int8_t *out, int32_t out_step, const int32_t *mult, const int32_t *shift, int32_t out_zp)
{
    gemm_store_run(acc, n, out, out_step, mult, shift, out_zp, 2);
}

/* Whether the GEMM path takes a call: its columns short enough and every channel's requantization
 * gemm_store_run's (the dsp_rq_fits bound is checked before). */
static int gemm_fits(const rig_conv_params *p, int32_t taps)
{
    if (((taps + 3) & ~3) > GEMM_K_MAX || p->act_min != -128 || p->act_max != 127 || p->out_zp < -128 || p->out_zp > 127) return 0;
    for (int32_t c = 0; c < p->out_c; c++)
        if (p->multiplier[c] < 0 || (p->multiplier[c] != 0 && (p->shift[c] > -1 || p->shift[c] < -22))) return 0;
    return 1;
}

/* The widened weights of output channels oc .. oc + 3 at w (four words per tap pair); channels
 * past out_c get zero weights (their outputs are not stored). */
static void gemm_widen_group(const rig_conv_params *p, int32_t oc, int32_t words, uint32_t *w)
{
    const int32_t k_n = p->kh * p->kw * p->in_c;
    for (int32_t c = 0; c < 4; c++) {
        if (oc + c < p->out_c)
            gemm_widen(p->weights + (oc + c) * k_n, k_n, 0, 0, w + c, 4);
        else
            for (int32_t t = 0; t < words; t++) w[4 * t + c] = 0;
    }
}

/* Sizes a call's chunks and widens every channel's weights when they fit. */
static void gemm_prepare(const rig_conv_params *p, gemm_ctx *g)
{
    const int32_t words = ((p->kh * p->kw * p->in_c + 3) & ~3) / 2, fit = (GEMM_X_BYTES / 4 / words) & ~1;
    const int32_t group_words = 4 * words, groups = (p->out_c + 3) / 4;
    g->words = words;
    g->chunk = fit < GEMM_PIXELS ? fit : GEMM_PIXELS;
    g->all = groups * group_words <= GEMM_W_BYTES / 4;
    if (g->all)
        for (int32_t i = 0; i < groups; i++) gemm_widen_group(p, 4 * i, words, g->w + i * group_words);
}

/* Where pixel i of a chunk has its widened column: pixel pairs interleave their words. */
static inline uint32_t *gemm_slot(gemm_ctx *g, int32_t i)
{
    return g->x + (i / 2) * 2 * g->words + (i & 1);
}

/* Every output channel of the chunk's n pixels, their columns widened into their slots; pixel i's
 * outputs at out + i * out_c. */
static void gemm_multiply(const rig_conv_params *p, gemm_ctx *g, int8_t *out, int32_t n)
{
    const int32_t out_c = p->out_c, words = g->words, pairs = (n + 1) / 2;
    /* An odd last pixel is paired with a column of zeros. */
    if (n & 1)
        for (int32_t t = 0; t < words; t++) gemm_slot(g, n)[2 * t] = 0;
    for (int32_t oc = 0; oc < out_c; oc += 4) {
        const int32_t nc = out_c - oc < 4 ? out_c - oc : 4;
        const uint32_t *w = g->w + oc * words;
        if (!g->all) {
            gemm_widen_group(p, oc, words, g->w);
            w = g->w;
        }
        int32_t b[4];
        for (int32_t c = 0; c < 4; c++) b[c] = c < nc ? 2 * p->bias[oc + c] : 0;
        gemm_acc(g->x, words, pairs, w, b, g->acc);
        int32_t c = 0;
        for (; c + 2 <= nc; c += 2) gemm_store2(g->acc + c, n, out + oc + c, out_c, p->multiplier + oc + c, p->shift + oc + c, p->out_zp);
        if (c < nc) gemm_store1(g->acc + c, n, out + oc + c, out_c, p->multiplier + oc + c, p->shift + oc + c, p->out_zp);
    }
}

/* Every output channel of n pixels, two at a time: pixel i's column of taps at in + i * in_step,
 * its outputs at out + i * out_c. */
static void pair_columns(const rig_conv_params *p, const int8_t *in, int32_t in_step, int8_t *out, int32_t n)
{
    int32_t oc = 0;
    for (; oc + 2 <= p->out_c; oc += 2) pw_pair(p, oc, in, in_step, out + oc, n);
    if (oc < p->out_c) pw_single(p, oc, in, in_step, out + oc, n);
}

/* 1x1, no padding: output (y, x) reads input (y * stride, x * stride), always inside the view. A
 * run of pixels is a window row, or the whole window when its rows lie back to back in both
 * buffers; the GEMM path (g) widens each pixel's input channels straight from the input. */
static void conv_1x1(const rig_conv_params *p, gemm_ctx *g, const rig_window *win, const int8_t *in, int8_t *out)
{
    const rig_view iv = win->in, ov = win->out;
    const int32_t in_c = p->in_c, out_c = p->out_c, stride = p->stride;
    const int32_t w = win->x1 - win->x0;
    const int32_t in_step = stride * in_c;
    int32_t rows = win->y1 - win->y0, n = w;
    if (stride == 1 && w == iv.w && w == ov.w) {
        n = w * rows;
        rows = 1;
    }
    for (int32_t r = 0; r < rows; r++) {
        const int32_t oy = win->y0 + r;
        const int8_t *src = in + at(&iv, oy * stride, win->x0 * stride) * in_c;
        int8_t *dst = out + at(&ov, oy, win->x0) * out_c;
        if (!g) {
            pair_columns(p, src, in_step, dst, n);
            continue;
        }
        for (int32_t i0 = 0; i0 < n; i0 += g->chunk) {
            const int32_t m = n - i0 < g->chunk ? n - i0 : g->chunk;
            for (int32_t i = 0; i < m; i++) gemm_widen(src + (i0 + i) * in_step, in_c, (int8_t)p->in_zp, 1, gemm_slot(g, i), 2);
            gemm_multiply(p, g, dst + i0 * out_c, m);
        }
    }
}

/* Bytes of the stack buffer that holds the im2col columns of a run of output pixels (channel pairs). */
#define CONV_COLUMNS_BYTES 1024

/* n bytes from src to dst, a word at a time, then a halfword and a byte (unaligned accesses are
 * allowed). The empty asm hides the loop from the compiler, which would call memcpy for it: a
 * library call costs more than these few words. */
static inline void im2col_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    int32_t j = 0;
    for (; j + 4 <= n; j += 4) {
        uint32_t v = ld32(src + j);
        __asm__("" : "+r"(v));
        memcpy(dst + j, &v, 4);
    }
    if (n & 2) {
        uint16_t h;
        memcpy(&h, src + j, 2);
        memcpy(dst + j, &h, 2);
        j += 2;
    }
    if (n & 1) dst[j] = src[j];
}

/* n bytes of v at dst, as im2col_copy writes them (memset hidden the same way). */
static inline void im2col_fill(int8_t *dst, int8_t v, int32_t n)
{
    uint32_t v4 = (uint8_t)v * 0x01010101u;
    int32_t j = 0;
    for (; j + 4 <= n; j += 4) {
        __asm__("" : "+r"(v4));
        memcpy(dst + j, &v4, 4);
    }
    if (n & 2) {
        memcpy(dst + j, &v4, 2);
        j += 2;
    }
    if (n & 1) dst[j] = v;
}

/* Output pixel (oy, ox)'s column: its kh * kw * in_c taps in the weights' order, a row of kw taps
 * copied at once when it lies inside the input, padding taps holding the input zero point so that
 * they add nothing once the zero point is folded out, then the zero point up to a multiple of 4. */
static inline void im2col_column(const rig_conv_params *p, const rig_view *iv, const int8_t *in, int32_t oy, int32_t ox, int8_t *col)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, kh = p->kh, kw = p->kw, row = kw * in_c;
    const int32_t y0 = oy * p->stride - p->pad_top, x0 = ox * p->stride - p->pad_left, k_n = kh * row;
    const int8_t zp = (int8_t)p->in_zp;
    for (int32_t ky = 0; ky < kh; ky++, col += row) {
        const int32_t iy = y0 + ky;
        if (iy < 0 || iy >= in_h) {
            im2col_fill(col, zp, row);
        } else if (x0 >= 0 && x0 + kw <= in_w) {
            im2col_copy(col, in + at(iv, iy, x0) * in_c, row);
        } else {
            for (int32_t kx = 0; kx < kw; kx++) {
                const int32_t ix = x0 + kx;
                if (ix < 0 || ix >= in_w)
                    im2col_fill(col + kx * in_c, zp, in_c);
                else
                    im2col_copy(col + kx * in_c, in + at(iv, iy, ix) * in_c, in_c);
            }
        }
    }
    im2col_fill(col, zp, ((k_n + 3) & ~3) - k_n);
}

/* Any kernel: the columns of a run of output pixels of one row gathered (im2col), then multiplied
 * as a 1x1 convolution of the columns: the GEMM path (g) widens each column as it is gathered, the
 * channel pairs read the run's columns from `columns`. */
static void conv_im2col(const rig_conv_params *p, gemm_ctx *g, int8_t *columns, const rig_window *win, const int8_t *in, int8_t *out)
{
    const rig_view iv = win->in, ov = win->out;
    const int32_t kp = (p->kh * p->kw * p->in_c + 3) & ~3, out_c = p->out_c;
    const int32_t run_max = g ? g->chunk : CONV_COLUMNS_BYTES / kp;
    for (int32_t oy = win->y0; oy < win->y1; oy++) {
        for (int32_t ox0 = win->x0; ox0 < win->x1; ox0 += run_max) {
            const int32_t n = win->x1 - ox0 < run_max ? win->x1 - ox0 : run_max;
            int8_t *dst = out + at(&ov, oy, ox0) * out_c;
            if (g) {
                for (int32_t i = 0; i < n; i++) {
                    im2col_column(p, &iv, in, oy, ox0 + i, g->col);
                    gemm_widen(g->col, kp, (int8_t)p->in_zp, 1, gemm_slot(g, i), 2);
                }
                gemm_multiply(p, g, dst, n);
            } else {
                for (int32_t i = 0; i < n; i++) im2col_column(p, &iv, in, oy, ox0 + i, columns + i * kp);
                pair_columns(p, columns, kp, dst, n);
            }
        }
    }
}

/* A call by the GEMM path, and one by channel pairs: each holds its buffers only while it runs. */
__attribute__((noinline)) static void conv_gemm(const rig_conv_params *p, int pointwise, const rig_window *win, const int8_t *in, int8_t *out)
{
    gemm_ctx g;
    gemm_prepare(p, &g);
    if (pointwise)
        conv_1x1(p, &g, win, in, out);
    else
        conv_im2col(p, &g, NULL, win, in, out);
}

__attribute__((noinline)) static void conv_pairs(const rig_conv_params *p, int pointwise, const rig_window *win, const int8_t *in, int8_t *out)
{
    int8_t columns[CONV_COLUMNS_BYTES] __attribute__((aligned(4)));
    if (pointwise)
        conv_1x1(p, NULL, win, in, out);
    else
        conv_im2col(p, NULL, columns, win, in, out);
}

/* The reference kernel, word for word: accumulators the fast requantization does not cover, or
 * columns too long for the stack buffer. */
static void conv_reference(const rig_conv_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
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

void rig_conv2d_s8(const rig_conv_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    const int32_t taps = (int32_t)p->kh * p->kw * p->in_c;
    const int pointwise = p->kh == 1 && p->kw == 1 && p->pad_top == 0 && p->pad_left == 0 && (p->out_h - 1) * p->stride < p->in_h &&
                          (p->out_w - 1) * p->stride < p->in_w;
    if (!dsp_rq_fits_all(p->bias, p->multiplier, p->shift, p->out_c, (uint32_t)taps) || (!pointwise && ((taps + 3) & ~3) > CONV_COLUMNS_BYTES))
        conv_reference(p, win, in, out);
    else if (gemm_fits(p, taps))
        conv_gemm(p, pointwise, win, in, out);
    else
        conv_pairs(p, pointwise, win, in, out);
}
