/* Operator softmax (int8, over the channels of each pixel), dsp kernel; see rig_kernels.h. TFLite's
 * reference int8 softmax on gemmlowp's fixed-point arithmetic, with the exps looked up: an int8
 * pixel's differences from its maximum take only the 256 values 0 .. -255, whose exps (0 below
 * diff_min) the parameters carry (exp_table). The maximum is found four bytes at a time (SSUB8 and
 * SEL); the reciprocal of the sum is the reference's; each output is one UMLAL, the reference's
 * two rounding steps folded into one (see softmax_scaled). */
#include "rig_softmax_arith.h"

/* The reference kernel's pixel: the exps computed (a call without a table). */
static void softmax_pixel_computed(const rig_softmax_params *p, const int8_t *pi, int8_t *po)
{
    const int32_t c_n = p->c, diff_min = p->diff_min;
    int32_t max = -128;
    for (int32_t c = 0; c < c_n; c++)
        if (pi[c] > max) max = pi[c];
    int32_t sum = 0; /* Q12.19 */
    for (int32_t c = 0; c < c_n; c++) {
        const int32_t diff = pi[c] - max;
        if (diff >= diff_min) sum = softmax_add(sum, rounding_divide_by_pot(softmax_exp_of_diff(p, diff), 12));
    }
    const int32_t headroom = sum == 0 ? 32 : __builtin_clz((uint32_t)sum);
    const uint32_t shifted = headroom >= 32 ? 0u : (uint32_t)sum << headroom;
    const int32_t scale = softmax_one_over_one_plus_x((int32_t)(shifted - (1u << 31)));
    int32_t exponent = 12 - headroom + 31 - 8;
    if (exponent > 31) exponent = 31;
    for (int32_t c = 0; c < c_n; c++) {
        const int32_t diff = pi[c] - max;
        const int32_t v = diff >= diff_min ? rounding_divide_by_pot(srdhm(scale, softmax_exp_of_diff(p, diff)), exponent) - 128 : -128;
        po[c] = clamp_s8(v, -128, 127);
    }
}

/* The largest of n int8 values, four at a time: SSUB8 sets a lane's GE bit where x >= m, SEL
 * keeps those lanes of x (one asm, so that nothing comes between the flags and their use). */
static inline int32_t softmax_max(const int8_t *x, int32_t n)
{
    uint32_t m = 0x80808080u;
    int32_t c = 0;
    for (; c + 4 <= n; c += 4) {
        uint32_t v = ld32(x + c), t;
        __asm__("ssub8 %[t], %[v], %[m]\n\tsel %[m], %[v], %[m]" : [m] "+r"(m), [t] "=&r"(t) : [v] "r"(v) : "cc");
    }
    int32_t max = -128;
    for (int32_t k = 0; k < 4; k++) {
        const int32_t b = (int8_t)(m >> 8 * k);
        max = b > max ? b : max;
    }
    for (; c < n; c++) max = x[c] > max ? x[c] : max;
    return max;
}

/* rounding_divide_by_pot(srdhm(scale, e), exponent) for scale, e >= 0 and 2 <= exponent <= 31:
 * srdhm is floor((scale e + 2^30) / 2^31) there, and the rounding division of that non-negative
 * value floor((x + 2^(exponent-1)) / 2^exponent); floors of floors are one floor, so the result is
 * floor((scale e + 2^30 + 2^(30+exponent)) / 2^(31+exponent)): the high word of one UMLAL on
 * (2^(exponent-2), 2^30), shifted right by exponent - 1. */
static inline int32_t softmax_scaled(uint32_t scale, uint32_t e, uint32_t hi0, int32_t right)
{
    uint32_t lo = 1u << 30, hi = hi0;
    __asm__("umlal %[lo], %[hi], %[a], %[b]" : [lo] "+r"(lo), [hi] "+r"(hi) : [a] "r"(scale), [b] "r"(e));
    return (int32_t)(hi >> right);
}

/* A pixel from the table: the sum of the exps in Q12.19 (each rounded, as the reference's), its
 * reciprocal, then each output. */
static void softmax_pixel_table(const rig_softmax_params *p, const int8_t *pi, int8_t *po)
{
    const int32_t c_n = p->c;
    const int32_t max = softmax_max(pi, c_n);
    /* exp of pi[c] - max at row[pi[c]]: entry max - pi[c] of the table. */
    const int32_t *row = p->exp_table + max;
    uint32_t sum = 0;
    for (int32_t c = 0; c < c_n; c++) sum += ((uint32_t)row[-pi[c]] + 2048u) >> 12;
    const int32_t headroom = sum == 0 ? 32 : __builtin_clz(sum);
    const uint32_t shifted = headroom >= 32 ? 0u : sum << headroom;
    const int32_t scale = softmax_one_over_one_plus_x((int32_t)(shifted - (1u << 31)));
    int32_t exponent = 12 - headroom + 31 - 8;
    if (exponent > 31) exponent = 31;
    if (scale < 0 || exponent < 2) {
        /* Not reached (the maximum's exp alone makes the sum at least 2^19); the reference's steps. */
        for (int32_t c = 0; c < c_n; c++) po[c] = clamp_s8(rounding_divide_by_pot(srdhm(scale, row[-pi[c]]), exponent) - 128, -128, 127);
        return;
    }
    const uint32_t hi0 = 1u << (exponent - 2);
    const int32_t right = exponent - 1;
    for (int32_t c = 0; c < c_n; c++) po[c] = (int8_t)(__usat(softmax_scaled((uint32_t)scale, (uint32_t)row[-pi[c]], hi0, right), 8) - 128);
}

void rig_softmax_s8(const rig_softmax_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    const int32_t c_n = p->c;
    for (int32_t y = win->y0; y < win->y1; y++) {
        for (int32_t x = win->x0; x < win->x1; x++) {
            const int8_t *pi = in + at(&win->in, y, x) * c_n;
            int8_t *po = out + at(&win->out, y, x) * c_n;
            if (p->exp_table)
                softmax_pixel_table(p, pi, po);
            else
                softmax_pixel_computed(p, pi, po);
        }
    }
}
