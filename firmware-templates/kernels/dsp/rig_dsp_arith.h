/* Arithmetic the dsp kernels share: word loads, the DSP extension's byte-pair widening, and a
 * requantization bit-exact with rig_requantize over the accumulators a layer can produce, without
 * its 64-bit product. Internal to the variant: each kernel file includes it. */
#ifndef RIG_DSP_ARITH_H
#define RIG_DSP_ARITH_H

#include <arm_acle.h>
#include <string.h>
#include "rig_kernel_util.h"

/* Four bytes from any address (LDR: unaligned loads are allowed on the M4 and M7). */
static inline uint32_t ld32(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Bytes 0 and 2 of x, sign-extended to the two halfwords. */
static inline int32_t sx02(uint32_t x)
{
    return __sxtb16(x);
}

/* Bytes 1 and 3 of x, sign-extended to the two halfwords (SXTB16 with its free rotation). */
static inline int32_t sx13(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* One output channel's requantization, prepared once: dsp_requantize(acc, q) is
 * rig_requantize(acc, multiplier, shift) for every |acc| < 2^(30 - max(shift, 0)), which
 * dsp_rq_fits checks from the bias and the number of taps before a kernel takes its fast path.
 * A multiplier of 0 (a dead channel, as trained networks have, with any shift and bias) makes
 * every accumulator 0: prepared with a shift of -1, dsp_requantize gives that for any acc. */
typedef struct {
    int32_t mult, left1, rnd, neg, right;
} dsp_rq;

static inline dsp_rq dsp_rq_of(int32_t mult, int32_t shift)
{
    dsp_rq q;
    if (mult == 0) shift = -1;
    q.mult = mult;
    q.left1 = (shift > 0 ? shift : 0) + 1;
    q.right = shift > 0 ? 0 : -shift;
    q.rnd = q.right > 0 ? 1 << (q.right - 1) : 0;
    q.neg = q.right > 0 ? -1 : 0;
    return q;
}

/* (a * b + 2^31) >> 32: SMMULR. */
static inline int32_t smmulr(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* gemmlowp's nudge-and-truncate of 2ab / 2^32 equals floor((ab + 2^30) / 2^31) for every product
 * but the saturating one, which is SMMULR of 2a and b when 2a does not overflow; the rounding
 * division by 2^right, half away from zero, is then floor((x + 2^(right-1) - [x < 0]) / 2^right),
 * and x + 2^(right-1) cannot overflow since |x| < 2^30. */
static inline int32_t dsp_requantize(int32_t acc, dsp_rq q)
{
    int32_t x = smmulr((int32_t)((uint32_t)acc << q.left1), q.mult);
    return (x + q.rnd + ((x >> 31) & q.neg)) >> q.right;
}

/* Whether every accumulator of a channel with this bias, shift and taps products of an int8
 * difference (|x - z| <= 255) and an int8 weight stays within dsp_requantize's range; always for
 * a multiplier of 0 (see dsp_rq_of). */
static inline int dsp_rq_fits(int32_t bias, int32_t mult, int32_t shift, uint32_t taps)
{
    if (mult == 0) return 1;
    const int64_t bound = (bias < 0 ? -(int64_t)bias : bias) + (int64_t)taps * 255 * 128;
    return bound < ((int64_t)1 << (30 - (shift > 0 ? shift : 0)));
}

/* dsp_rq_fits for every output channel of a call. */
static inline int dsp_rq_fits_all(const int32_t *bias, const int32_t *mult, const int32_t *shift, int32_t channels, uint32_t taps)
{
    for (int32_t c = 0; c < channels; c++)
        if (!dsp_rq_fits(bias[c], mult[c], shift[c], taps)) return 0;
    return 1;
}

/* Requantizes n accumulators and stores them out_step bytes apart, clamped: a loop of its own, so
 * that the multiply-accumulate loops before it keep their registers for data and weights. */
__attribute__((noinline)) static void dsp_store(const int32_t *acc, int32_t n, int8_t *out, int32_t out_step, dsp_rq q, int32_t out_zp, int32_t lo, int32_t hi)
{
    /* The zero point moved into the bounds: one add fewer per value. */
    const int32_t lo_z = lo - out_zp, hi_z = hi - out_zp;
    const int32_t mult = q.mult, left1 = q.left1, rnd = q.rnd, neg = q.neg, right = q.right;
    for (const int32_t *end = acc + n; acc != end; acc++) {
        int32_t x = smmulr((int32_t)((uint32_t)*acc << left1), mult);
        int32_t v = (x + rnd + ((x >> 31) & neg)) >> right;
        v = v < lo_z ? lo_z : v;
        v = v > hi_z ? hi_z : v;
        *out = (int8_t)(v + out_zp);
        out += out_step;
    }
}

#endif
