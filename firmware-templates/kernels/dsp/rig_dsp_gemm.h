/* The GEMM core of the dsp convolutions, shared by the kernels whose work is a 1x1 convolution of
 * runs of pixels (dsp/conv2d.c, dsp/linear.c): a chunk of pixels' columns and the weights widened
 * to halfword pairs, two pixels by four output channels with SMLAD alone, and the requantization
 * with SMMLAR and SSAT. Internal to the variant: a kernel file includes it. */
#ifndef RIG_DSP_GEMM_H
#define RIG_DSP_GEMM_H

#include "rig_dsp_arith.h"

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

#endif
