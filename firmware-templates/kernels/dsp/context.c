/* Operator context (attention probabilities times values A·V per head), dsp kernel; see
 * rig_kernels.h. The values are read down a column (one channel over the key tokens), so each
 * call transposes them first, four channels of a head at a time: for each four keys j .. j+3 and
 * each channel, two words of halfword pairs less the zero point, (v[j] - z, v[j+2] - z) and
 * (v[j+1] - z, v[j+3] - z), SXTB16's order of a word of four probabilities. A probability row
 * then takes one word load and two SXTB16 per four keys, and SMLAD meets it with the four
 * channels' words; its zero point is folded out (sum((p - zp)(v - zv)) = sum(p (v - zv)) -
 * zp sum(v - zv), the column sums formed by the transposition). The transposition (about two
 * instructions a value) is shared by every row of the call. Keys past the last four go one by
 * one. */
#include "rig_dsp_arith.h"

/* Words of the transposed values: 8 per four keys, so up to 512 keys; more go the reference way. */
#define CONTEXT_VT_WORDS 1024

static inline int8_t context_out(int32_t v, int32_t out_zp)
{
    v = v < -256 ? -256 : v > 256 ? 256 : v;
    return clamp_s8(v + out_zp, -128, 127);
}

static void context_reference(const rig_context_params *p, const rig_window *win, const int8_t *probs, const int8_t *qkv, int8_t *out)
{
    const int32_t t_n = p->tokens, c = p->c, heads = p->heads, dh = p->head_dim;
    for (int32_t i = win->y0; i < win->y1; i++) {
        int8_t *o = out + at(&win->out, i, 0) * heads * dh;
        for (int32_t h = 0; h < heads; h++) {
            const int8_t *pr = probs + at(&win->in, i, h) * t_n;
            for (int32_t d = 0; d < dh; d++) {
                const int8_t *v = qkv + p->v_offset + h * dh + d;
                int32_t acc = 0;
                for (int32_t j = 0; j < t_n; j++) acc += ((int32_t)pr[j] - p->p_zp) * ((int32_t)v[at(&win->in2, j, 0) * c] - p->v_zp);
                o[h * dh + d] = context_out(rig_requantize(acc, p->multiplier, p->shift), p->out_zp);
            }
        }
    }
}

/* Halfwords lo and hi as one word (PKHBT). */
static inline uint32_t pack16(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16);
}

/* The high halfwords of lo and hi as one word (PKHTB). */
static inline uint32_t pack16_high(int32_t lo, int32_t hi)
{
    return ((uint32_t)hi & 0xffff0000u) | ((uint32_t)lo >> 16);
}

/* Transposes the first `quads` fours of keys of nch (1 to 4) channels from v (key j's channel ch at
 * v + j * c + ch) into vt, less z, channels past nch as zeros; their sums at sum[0..3]. */
static void context_transpose(const int8_t *v, int32_t c, int32_t quads, int32_t nch, int32_t z, uint32_t *vt, int32_t *sum)
{
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    if (nch == 4) {
        const int32_t z2 = (int32_t)((uint16_t)z * 0x00010001u), c2 = 2 * c, c3 = 3 * c;
        for (int32_t qd = 0; qd < quads; qd++, v += 4 * c, vt += 8) {
            const uint32_t ra = ld32(v), rb = ld32(v + c), rc = ld32(v + c2), rd = ld32(v + c3);
            const int32_t a02 = sx02(ra), b02 = sx02(rb), c02 = sx02(rc), d02 = sx02(rd);
            const int32_t a13 = sx13(ra), b13 = sx13(rb), c13 = sx13(rc), d13 = sx13(rd);
            const int32_t w0 = __ssub16((int32_t)pack16(a02, c02), z2), w1 = __ssub16((int32_t)pack16(b02, d02), z2);
            const int32_t w2 = __ssub16((int32_t)pack16(a13, c13), z2), w3 = __ssub16((int32_t)pack16(b13, d13), z2);
            const int32_t w4 = __ssub16((int32_t)pack16_high(a02, c02), z2), w5 = __ssub16((int32_t)pack16_high(b02, d02), z2);
            const int32_t w6 = __ssub16((int32_t)pack16_high(a13, c13), z2), w7 = __ssub16((int32_t)pack16_high(b13, d13), z2);
            vt[0] = (uint32_t)w0;
            vt[1] = (uint32_t)w1;
            vt[2] = (uint32_t)w2;
            vt[3] = (uint32_t)w3;
            vt[4] = (uint32_t)w4;
            vt[5] = (uint32_t)w5;
            vt[6] = (uint32_t)w6;
            vt[7] = (uint32_t)w7;
            s0 = __smlad(w0, 0x00010001, __smlad(w1, 0x00010001, s0));
            s1 = __smlad(w2, 0x00010001, __smlad(w3, 0x00010001, s1));
            s2 = __smlad(w4, 0x00010001, __smlad(w5, 0x00010001, s2));
            s3 = __smlad(w6, 0x00010001, __smlad(w7, 0x00010001, s3));
        }
    } else {
        int32_t s[4] = { 0, 0, 0, 0 };
        for (int32_t qd = 0; qd < quads; qd++, v += 4 * c, vt += 8) {
            for (int32_t ch = 0; ch < 4; ch++) {
                if (ch >= nch) {
                    vt[2 * ch] = vt[2 * ch + 1] = 0;
                    continue;
                }
                const int32_t x0 = v[ch] - z, x1 = v[c + ch] - z, x2 = v[2 * c + ch] - z, x3 = v[3 * c + ch] - z;
                vt[2 * ch] = pack16(x0, x2);
                vt[2 * ch + 1] = pack16(x1, x3);
                s[ch] += x0 + x1 + x2 + x3;
            }
        }
        s0 = s[0];
        s1 = s[1];
        s2 = s[2];
        s3 = s[3];
    }
    sum[0] = s0;
    sum[1] = s1;
    sum[2] = s2;
    sum[3] = s3;
}

/* Four keys of the probability row against the four channels' words, in assembly: written in C,
 * the compiler loads the words one at a time. */
#define CONTEXT_STEP                                                                                                   \
    "ldr %[pv], [%[pr]], #4\n\t"                                                                                      \
    "ldrd %[w0], %[w1], [%[vt]], #8\n\t"                                                                              \
    "sxtb16 %[p02], %[pv]\n\t"                                                                                        \
    "sxtb16 %[pv], %[pv], ror #8\n\t"                                                                                 \
    "smlad %[a0], %[p02], %[w0], %[a0]\n\t"                                                                           \
    "smlad %[a0], %[pv], %[w1], %[a0]\n\t"                                                                            \
    "ldrd %[w0], %[w1], [%[vt]], #8\n\t"                                                                              \
    "smlad %[a1], %[p02], %[w0], %[a1]\n\t"                                                                           \
    "smlad %[a1], %[pv], %[w1], %[a1]\n\t"                                                                            \
    "ldrd %[w0], %[w1], [%[vt]], #8\n\t"                                                                              \
    "smlad %[a2], %[p02], %[w0], %[a2]\n\t"                                                                           \
    "smlad %[a2], %[pv], %[w1], %[a2]\n\t"                                                                            \
    "ldrd %[w0], %[w1], [%[vt]], #8\n\t"                                                                              \
    "smlad %[a3], %[p02], %[w0], %[a3]\n\t"                                                                           \
    "smlad %[a3], %[pv], %[w1], %[a3]\n\t"

/* The products of a probability row pr (its first 4 quads keys) with four transposed channels;
 * eight keys per pass, entered halfway for an odd number of fours. */
static inline void context_dot4(const int8_t *pr, const uint32_t *vt, int32_t quads, int32_t *acc)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    if (quads > 0) {
        const uint32_t *end = vt + 8 * quads;
        uint32_t pv, p02, w0, w1;
        __asm__("sub %[pv], %[end], %[vt]\n\t"
                "tst %[pv], #32\n\t"
                "bne 2f\n\t"
                "1:\n\t" CONTEXT_STEP "2:\n\t" CONTEXT_STEP "cmp %[vt], %[end]\n\t"
                "bne 1b"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [pr] "+r"(pr), [vt] "+r"(vt), [pv] "=&r"(pv), [p02] "=&r"(p02),
                  [w0] "=&r"(w0), [w1] "=&r"(w1)
                : [end] "r"(end)
                : "cc", "memory");
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

void rig_context_s8(const rig_context_params *p, const rig_window *win, const int8_t *probs, const int8_t *qkv, int8_t *out)
{
    const int32_t t_n = p->tokens, c = p->c, heads = p->heads, dh = p->head_dim;
    const int32_t p_zp = p->p_zp, v_zp = p->v_zp, out_zp = p->out_zp, quads = t_n / 4, t4 = 4 * quads;
    /* |acc| <= tokens 255^2 must stay within dsp_requantize's range. */
    const int32_t shift_up = p->shift > 0 ? p->shift : 0;
    if (8 * quads > CONTEXT_VT_WORDS || (p->multiplier != 0 && (int64_t)t_n * 255 * 255 >= ((int64_t)1 << (30 - shift_up)))) {
        context_reference(p, win, probs, qkv, out);
        return;
    }
    const dsp_rq q = dsp_rq_of(p->multiplier, p->shift);
    uint32_t vt[CONTEXT_VT_WORDS];
    /* Key j's head 0 at values + j * c (the view is the whole tensor, from row 0). */
    const int8_t *values = qkv + at(&win->in2, 0, 0) * c + p->v_offset;
    for (int32_t h = 0; h < heads; h++) {
        for (int32_t d0 = 0; d0 < dh; d0 += 4) {
            const int32_t nch = dh - d0 < 4 ? dh - d0 : 4;
            const int8_t *v = values + h * dh + d0;
            int32_t sum[4];
            context_transpose(v, c, quads, nch, v_zp, vt, sum);
            for (int32_t i = win->y0; i < win->y1; i++) {
                const int8_t *pr = probs + at(&win->in, i, h) * t_n;
                int8_t *o = out + at(&win->out, i, 0) * heads * dh + h * dh + d0;
                int32_t acc[4];
                context_dot4(pr, vt, quads, acc);
                for (int32_t ch = 0; ch < nch; ch++) {
                    int32_t a = acc[ch] - p_zp * sum[ch];
                    for (int32_t j = t4; j < t_n; j++) a += (pr[j] - p_zp) * (v[j * c + ch] - v_zp);
                    o[ch] = (int8_t)__ssat(dsp_requantize(a, q) + out_zp, 8);
                }
            }
        }
    }
}
