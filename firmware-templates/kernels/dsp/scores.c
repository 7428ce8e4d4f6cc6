/* Operator scores (attention scores Q·K^T per head), dsp kernel; see rig_kernels.h. Each query
 * (a row and head) is widened once to halfword pairs less the zero point, in SXTB16's order (bytes
 * 0 and 2, then 1 and 3 of each four channels); every key then takes SXTB16 and SMLAD, four keys
 * per pass sharing the query's words, with the keys' zero point folded out of the loop:
 * sum((q - z)(k - z)) = sum((q - z) k) - z sum(q - z). A query's accumulators over every key are
 * then requantized together (SMMLAR and SSAT under the usual requantization). */
#include "rig_dsp_arith.h"

/* The longest head the widened query's buffer takes (halfwords), and the most keys the
 * accumulators' buffer takes; larger calls go the reference way. */
#define SCORES_DH_MAX 512
#define SCORES_KEYS_MAX 512

static inline int8_t scores_out(int32_t v, int32_t out_zp)
{
    v = v < -256 ? -256 : v > 256 ? 256 : v;
    return clamp_s8(v + out_zp, -128, 127);
}

static void scores_reference(const rig_scores_params *p, const rig_window *win, const int8_t *qkv, int8_t *out)
{
    const int32_t t_n = p->tokens, c = p->c, dh = p->head_dim, z = p->in_zp;
    for (int32_t i = win->y0; i < win->y1; i++) {
        for (int32_t h = win->x0; h < win->x1; h++) {
            const int8_t *q = qkv + at(&win->in, i, 0) * c + p->q_offset + h * dh;
            int8_t *o = out + at(&win->out, i, h) * t_n;
            for (int32_t j = 0; j < t_n; j++) {
                const int8_t *k = qkv + at(&win->in, j, 0) * c + p->k_offset + h * dh;
                int32_t acc = 0;
                for (int32_t d = 0; d < dh; d++) acc += ((int32_t)q[d] - z) * ((int32_t)k[d] - z);
                o[j] = scores_out(rig_requantize(acc, p->multiplier, p->shift), p->out_zp);
            }
        }
    }
}

/* Four channels of four keys against the query's words, in assembly (the loop's thirteen live
 * registers make the compiler spill): keys 1 and 0 at k0 + c and k0, keys 3 and 2 at k2 + c and k2. */
#define SCORES_STEP                                                                                                    \
    "ldrd %[q02], %[q13], [%[pq]], #8\n\t"                                                                            \
    "ldr %[kv], [%[k0], %[c]]\n\t"                                                                                    \
    "sxtb16 %[t], %[kv]\n\t"                                                                                          \
    "smlad %[a1], %[t], %[q02], %[a1]\n\t"                                                                            \
    "sxtb16 %[kv], %[kv], ror #8\n\t"                                                                                 \
    "smlad %[a1], %[kv], %[q13], %[a1]\n\t"                                                                           \
    "ldr %[kv], [%[k0]], #4\n\t"                                                                                      \
    "sxtb16 %[t], %[kv]\n\t"                                                                                          \
    "smlad %[a0], %[t], %[q02], %[a0]\n\t"                                                                            \
    "sxtb16 %[kv], %[kv], ror #8\n\t"                                                                                 \
    "smlad %[a0], %[kv], %[q13], %[a0]\n\t"                                                                           \
    "ldr %[kv], [%[k2], %[c]]\n\t"                                                                                    \
    "sxtb16 %[t], %[kv]\n\t"                                                                                          \
    "smlad %[a3], %[t], %[q02], %[a3]\n\t"                                                                            \
    "sxtb16 %[kv], %[kv], ror #8\n\t"                                                                                 \
    "smlad %[a3], %[kv], %[q13], %[a3]\n\t"                                                                           \
    "ldr %[kv], [%[k2]], #4\n\t"                                                                                      \
    "sxtb16 %[t], %[kv]\n\t"                                                                                          \
    "smlad %[a2], %[t], %[q02], %[a2]\n\t"                                                                            \
    "sxtb16 %[kv], %[kv], ror #8\n\t"                                                                                 \
    "smlad %[a2], %[kv], %[q13], %[a2]\n\t"

/* The accumulators base + sum(qw k) of n keys (key j's channels at k + j * c) over the query's
 * `words` widened words (its first 2 * words channels; words even). */
__attribute__((noinline)) static void scores_acc(const uint32_t *qw, int32_t words, const int8_t *k, int32_t c, int32_t n, int32_t base, int32_t *acc)
{
    int32_t j = 0;
    for (; j + 4 <= n; j += 4, k += 4 * c) {
        int32_t a0 = base, a1 = base, a2 = base, a3 = base;
        if (words > 0) {
            const uint32_t *pq = qw, *end = qw + words;
            const int8_t *k0 = k, *k2 = k + 2 * c;
            uint32_t q02, q13, t, kv;
            /* Eight channels per pass, entered halfway when the query holds an odd number of fours. */
            __asm__("sub %[t], %[end], %[pq]\n\t"
                    "tst %[t], #8\n\t"
                    "bne 2f\n\t"
                    "1:\n\t" SCORES_STEP "2:\n\t" SCORES_STEP "cmp %[pq], %[end]\n\t"
                    "bne 1b"
                    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [pq] "+r"(pq), [k0] "+r"(k0), [k2] "+r"(k2), [q02] "=&r"(q02),
                      [q13] "=&r"(q13), [t] "=&r"(t), [kv] "=&r"(kv)
                    : [end] "r"(end), [c] "r"(c)
                    : "cc", "memory");
        }
        acc[j] = a0;
        acc[j + 1] = a1;
        acc[j + 2] = a2;
        acc[j + 3] = a3;
    }
    for (; j < n; j++, k += c) {
        int32_t a = base;
        for (int32_t w = 0; w < words; w += 2) {
            const uint32_t v = ld32(k + 2 * w);
            a = __smlad(sx02(v), (int32_t)qw[w], a);
            a = __smlad(sx13(v), (int32_t)qw[w + 1], a);
        }
        acc[j] = a;
    }
}

/* Stores the requantized doubled accumulators a[j] = 2 acc[j] of n keys, for a requantization
 * that scores_fast_store admits, as dsp/conv2d.c's GEMM path does (see gemm_store_run there):
 * SMMLAR of 2 acc and the multiplier, plus rnd + out_zp 2^right - [acc < 0], shifted right, SSAT. */
__attribute__((noinline)) static void scores_store_fast(const int32_t *a, int32_t n, int8_t *out, int32_t mult, int32_t shift, int32_t out_zp)
{
    const int32_t r = mult == 0 ? 1 : -shift, rz = (2 * out_zp + 1) << (r - 1);
    for (const int32_t *end = a + n; a != end; a++, out++) {
        int32_t x;
        __asm__("smmlar %0, %1, %2, %3" : "=r"(x) : "r"(*a), "r"(mult), "r"(rz + (*a >> 31)));
        *out = (int8_t)__ssat(x >> r, 8);
    }
}

/* Whether scores_store_fast takes the requantization: right shifts of 1 to 22 (any for a
 * multiplier of 0), the output zero point within int8. */
static int scores_fast_store(int32_t mult, int32_t shift, int32_t out_zp)
{
    return mult >= 0 && (mult == 0 || (shift <= -1 && shift >= -22)) && out_zp >= -128 && out_zp <= 127;
}

void rig_scores_s8(const rig_scores_params *p, const rig_window *win, const int8_t *qkv, int8_t *out)
{
    const int32_t t_n = p->tokens, c = p->c, dh = p->head_dim, z = p->in_zp, out_zp = p->out_zp;
    /* |acc| <= dh 255^2 must stay within dsp_requantize's range, and the key accumulators' buffer
     * hold every key. */
    const int32_t shift_up = p->shift > 0 ? p->shift : 0;
    if (dh > SCORES_DH_MAX || t_n > SCORES_KEYS_MAX || (p->multiplier != 0 && (int64_t)dh * 255 * 255 >= ((int64_t)1 << (30 - shift_up)))) {
        scores_reference(p, win, qkv, out);
        return;
    }
    const dsp_rq q = dsp_rq_of(p->multiplier, p->shift);
    const int fast = scores_fast_store(p->multiplier, p->shift, out_zp);
    const int32_t d4 = dh & ~3, z2 = (int32_t)((uint16_t)z * 0x00010001u);
    /* Key j's head 0 at keys + j * c (the view is the whole tensor, from row 0). */
    const int8_t *keys = qkv + at(&win->in, 0, 0) * c + p->k_offset;
    uint32_t qw[SCORES_DH_MAX / 2];
    int32_t acc[SCORES_KEYS_MAX];
    for (int32_t i = win->y0; i < win->y1; i++) {
        for (int32_t h = win->x0; h < win->x1; h++) {
            /* The query less z, doubled (|2 (q - z)| <= 510 fits a halfword): the accumulators
             * come out doubled, as scores_store_fast takes them, and 2 |acc| < 2^31. */
            const int8_t *qs = qkv + at(&win->in, i, 0) * c + p->q_offset + h * dh;
            int32_t qsum2 = 0;
            for (int32_t d = 0; d < d4; d += 4) {
                const uint32_t v = ld32(qs + d);
                int32_t lo = __ssub16(sx02(v), z2), hi = __ssub16(sx13(v), z2);
                lo = __sadd16(lo, lo);
                hi = __sadd16(hi, hi);
                qw[d / 2] = (uint32_t)lo;
                qw[d / 2 + 1] = (uint32_t)hi;
                qsum2 = __smlad(lo, 0x00010001, qsum2);
                qsum2 = __smlad(hi, 0x00010001, qsum2);
            }
            for (int32_t d = d4; d < dh; d++) qsum2 += 2 * (qs[d] - z);
            /* The keys' zero point folded out: 2 sum((q - z)(k - z)) = sum(2 (q - z) k) - z sum(2 (q - z)). */
            const int8_t *kh = keys + h * dh;
            scores_acc(qw, d4 / 2, kh, c, t_n, -z * qsum2, acc);
            if (d4 < dh)
                for (int32_t j = 0; j < t_n; j++)
                    for (int32_t d = d4; d < dh; d++) acc[j] += 2 * (qs[d] - z) * kh[j * c + d];
            int8_t *o = out + at(&win->out, i, h) * t_n;
            if (fast)
                scores_store_fast(acc, t_n, o, p->multiplier, p->shift, out_zp);
            else
                for (int32_t j = 0; j < t_n; j++) o[j] = (int8_t)__ssat(dsp_requantize(acc[j] / 2, q) + out_zp, 8);
        }
    }
}
