/* Operator layernorm (integer LayerNorm over each token's channels), dsp kernel; the arithmetic is
 * rig/ops/layernorm.ts's, see rig_kernels.h. The sum s and the sum of squares Q of d = x - z come
 * from one pass, four channels a word (SXTB16, SSUB16, SMLAD): then floor(S / C) for
 * S = sum (C d - s)^2 = C (C Q - s^2) is C Q - s^2 exactly, with no 64-bit sum or division. A
 * second pass computes each output from its input byte again, so the output may overwrite the
 * input. The requantization is SMMULR and a rounding shift when the call's accumulators provably
 * stay in its range (ln_fits), the reference arithmetic otherwise. */
#include "rig_dsp_arith.h"

/* floor(sqrt(v)), one result bit per step from the top. */
static uint32_t ln_isqrt(uint64_t v)
{
    uint64_t rem = v, root = 0, bit = (uint64_t)1 << 62;
    while (bit > v) bit >>= 2;
    while (bit != 0) {
        if (rem >= root + bit) {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return (uint32_t)root;
}

/* |n| < 2^19 for every normalized value n = round(2^12 u / r): |u| <= sqrt(S) and r >= 1, r + 1 >
 * sqrt(S / C), so |u| / r <= 2 sqrt(C) <= 2 sqrt(2048) < 91; with |γ| <= 128, |n γ| < 2^26. */
#define LN_NG_BOUND ((int64_t)1 << 26)

/* Whether every channel's accumulator n γ + β stays within dsp_requantize's range. */
static int ln_fits(const rig_layernorm_params *p)
{
    for (int32_t c = 0; c < p->c; c++) {
        const int32_t mult = p->multiplier[c], shift = p->shift[c];
        const int64_t b = p->bias[c] < 0 ? -(int64_t)p->bias[c] : p->bias[c];
        if (mult != 0 && (shift < -31 || shift > 3 || b + LN_NG_BOUND >= ((int64_t)1 << (30 - (shift > 0 ? shift : 0))))) return 0;
    }
    return 1;
}

/* The sum of d = x - z over n channels, and of d^2 (|d| <= 255, n <= 2048: both fit in 31 bits). */
static void ln_sums(const int8_t *x, int32_t n, int32_t z, int32_t *sum, int32_t *squares)
{
    const int32_t z2 = (int32_t)((uint16_t)z * 0x00010001u);
    int32_t s = 0, q = 0, c = 0;
    for (; c + 4 <= n; c += 4) {
        const uint32_t v = ld32(x + c);
        const int32_t d02 = __ssub16(sx02(v), z2), d13 = __ssub16(sx13(v), z2);
        s = __smlad(d02, 0x00010001, s);
        q = __smlad(d02, d02, q);
        s = __smlad(d13, 0x00010001, s);
        q = __smlad(d13, d13, q);
    }
    for (; c < n; c++) {
        const int32_t d = x[c] - z;
        s += d;
        q += d * d;
    }
    *sum = s;
    *squares = q;
}

void rig_layernorm_s8(const rig_layernorm_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    const int32_t c_n = p->c, z = p->in_zp, out_zp = p->out_zp, act_min = p->act_min, act_max = p->act_max;
    const int fast = ln_fits(p);
    const int8_t *gamma = p->weights;
    const int32_t *beta = p->bias, *mult = p->multiplier, *shift = p->shift;
    for (int32_t y = win->y0; y < win->y1; y++) {
        for (int32_t x = win->x0; x < win->x1; x++) {
            const int8_t *pi = in + at(&win->in, y, x) * c_n;
            int8_t *po = out + at(&win->out, y, x) * c_n;
            int32_t s, q;
            ln_sums(pi, c_n, z, &s, &q);
            uint32_t r = ln_isqrt((uint64_t)((int64_t)c_n * q - (int64_t)s * s));
            if (r == 0) r = 1;
            const int32_t rs = (int32_t)r, half = rs >> 1;
            /* u << 12 = (C d - s) << 12 = C (x << 12) - (C z + s) << 12, in wrapping arithmetic:
             * the terms may leave int32, the result does not (|u| < 2^19). */
            const uint32_t off = (uint32_t)(c_n * z + s) << 12, c12 = (uint32_t)c_n << 12;
            for (int32_t c = 0; c < c_n; c++) {
                const int32_t num = (int32_t)(c12 * (uint32_t)(int32_t)pi[c] - off);
                const int32_t n = (num + (num >= 0 ? half : -half)) / rs;
                const int32_t acc = (int32_t)((uint32_t)n * (uint32_t)(int32_t)gamma[c] + (uint32_t)beta[c]);
                const int32_t v = fast ? dsp_requantize(acc, dsp_rq_of(mult[c], shift[c])) : rig_requantize(acc, mult[c], shift[c]);
                po[c] = clamp_s8(v + out_zp, act_min, act_max);
            }
        }
    }
}
