/* Operator layernorm (integer LayerNorm over each token's channels), dsp kernel; the arithmetic is
 * rig/ops/layernorm.ts's, see rig_kernels.h. The sum s and the sum of squares Q of d = x - z come
 * from one pass, four channels a word (SXTB16, SSUB16, SMLAD): then floor(S / C) for
 * S = sum (C d - s)^2 = C (C Q - s^2) is C Q - s^2 exactly, with no 64-bit sum or division. The
 * outputs follow for a chunk of tokens at a time, channel by channel, so that each channel's
 * requantization is prepared once per chunk; each output is computed from its input byte again,
 * which only it overwrites, so the output may overwrite the input. The requantization is the GEMM
 * path's SMMLAR and SSAT (rig_dsp_gemm.h) under the usual requantization, SMMULR and a rounding shift
 * when only the call's accumulators provably stay in its range (ln_fits), the reference arithmetic
 * otherwise. */
#include "rig_dsp_arith.h"
#include "rig_dsp_gemm.h"

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

/* Whether the requantization may be the GEMM path's (rig_dsp_gemm.h, gemm_store_run): on doubled
 * accumulators, SMMLAR with the rounding and the zero point folded in, then SSAT; the whole int8
 * range as the clamp, right shifts of 1 to 22, no negative multiplier (ln_fits is checked first). */
static int ln_smmlar_fits(const rig_layernorm_params *p)
{
    if (p->act_min != -128 || p->act_max != 127 || p->out_zp < -128 || p->out_zp > 127) return 0;
    for (int32_t c = 0; c < p->c; c++)
        if (p->multiplier[c] < 0 || (p->multiplier[c] != 0 && (p->shift[c] > -1 || p->shift[c] < -22))) return 0;
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

/* Tokens whose outputs are formed together, channel by channel. */
#define LN_CHUNK 16

/* One token's values for its outputs: where its bytes are, (C z + s) << 12 and the divisor r. */
typedef struct {
    const int8_t *in;
    int8_t *out;
    uint32_t off;
    int32_t r, half;
} ln_token;

static void ln_prepare(const int8_t *in, int8_t *out, int32_t c_n, int32_t z, ln_token *t)
{
    int32_t s, q;
    ln_sums(in, c_n, z, &s, &q);
    uint32_t r = rig_isqrt_u64((uint64_t)((int64_t)c_n * q - (int64_t)s * s));
    if (r == 0) r = 1;
    t->in = in;
    t->out = out;
    /* u << 12 = (C d - s) << 12 = C (x << 12) - (C z + s) << 12, in wrapping arithmetic: the terms
     * may leave int32, the result does not (|u| < 2^19). */
    t->off = (uint32_t)(c_n * z + s) << 12;
    t->r = (int32_t)r;
    t->half = (int32_t)(r >> 1);
}

/* Channel c's normalized value of token t, times γ plus β (wrapping as the int32 accumulator of
 * the TypeScript reference does). */
static inline int32_t ln_acc(const ln_token *t, int32_t c, uint32_t c12, int32_t gamma, int32_t beta)
{
    const int32_t num = (int32_t)(c12 * (uint32_t)(int32_t)t->in[c] - t->off);
    const int32_t n = (num + (num >= 0 ? t->half : -t->half)) / t->r;
    return (int32_t)((uint32_t)n * (uint32_t)gamma + (uint32_t)beta);
}

void rig_layernorm_s8(const rig_layernorm_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    const int32_t c_n = p->c, z = p->in_zp, out_zp = p->out_zp, act_min = p->act_min, act_max = p->act_max;
    const int fast = ln_fits(p), smmlar = fast && ln_smmlar_fits(p);
    const uint32_t c12 = (uint32_t)c_n << 12;
    const int32_t lo = act_min - out_zp, hi = act_max - out_zp;
    const int32_t w = win->x1 - win->x0, n = (win->y1 - win->y0) * w;
    ln_token tokens[LN_CHUNK];
    for (int32_t k0 = 0; k0 < n; k0 += LN_CHUNK) {
        const int32_t m = n - k0 < LN_CHUNK ? n - k0 : LN_CHUNK;
        for (int32_t i = 0; i < m; i++) {
            const int32_t y = win->y0 + (k0 + i) / w, x = win->x0 + (k0 + i) % w;
            ln_prepare(in + at(&win->in, y, x) * c_n, out + at(&win->out, y, x) * c_n, c_n, z, &tokens[i]);
        }
        for (int32_t c = 0; c < c_n; c++) {
            const int32_t gamma = p->weights[c], beta = p->bias[c];
            const ln_token *t = tokens, *end = tokens + m;
            if (smmlar) {
                /* As gemm_store_run: a = 2 acc (the doubled γ and β), rz = (2 out_zp + 1) 2^(right - 1)
                 * (a multiplier of 0 gives out_zp under any right shift). */
                const int32_t mult = p->multiplier[c], right = mult == 0 ? 1 : -p->shift[c], rz = (2 * out_zp + 1) << (right - 1);
                for (; t != end; t++) {
                    const int32_t a = ln_acc(t, c, c12, 2 * gamma, 2 * beta);
                    t->out[c] = (int8_t)__ssat(gemm_smmlar(a, mult, rz + (a >> 31)) >> right, 8);
                }
            } else if (fast) {
                const dsp_rq q = dsp_rq_of(p->multiplier[c], p->shift[c]);
                for (; t != end; t++) {
                    int32_t v = dsp_requantize(ln_acc(t, c, c12, gamma, beta), q);
                    v = v < lo ? lo : v;
                    v = v > hi ? hi : v;
                    t->out[c] = (int8_t)(v + out_zp);
                }
            } else {
                for (; t != end; t++)
                    t->out[c] = clamp_s8(rig_requantize(ln_acc(t, c, c12, gamma, beta), p->multiplier[c], p->shift[c]) + out_zp, act_min, act_max);
            }
        }
    }
}
