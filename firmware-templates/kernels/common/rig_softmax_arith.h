/* gemmlowp's fixed-point arithmetic as TFLite's int8 softmax uses it (exp of the differences from
 * a pixel's maximum in Q5.26, as Q0.31; the reciprocal of their sum by Newton-Raphson), shared by
 * every variant's softmax; internal to the kernels, not part of the rig_kernels.h contract. */
#ifndef RIG_SOFTMAX_ARITH_H
#define RIG_SOFTMAX_ARITH_H

#include "rig_kernel_util.h"

static inline int32_t softmax_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t softmax_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* gemmlowp's SaturatingRoundingMultiplyByPOT for a positive exponent: a saturating left shift. */
static inline int32_t softmax_shift_left(int32_t x, int32_t exponent)
{
    const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out: a Taylor expansion around -1/8. */
static int32_t softmax_exp_quarter(int32_t a)
{
    const int32_t constant_term = 1895147668; /* exp(-1/8) */
    const int32_t one_third = 715827883;
    const int32_t x = softmax_add(a, 1 << 28);
    const int32_t x2 = srdhm(x, x), x3 = srdhm(x2, x), x4 = srdhm(x2, x2);
    const int32_t x4_over_4 = rounding_divide_by_pot(x4, 2);
    const int32_t poly = rounding_divide_by_pot(softmax_add(srdhm(softmax_add(x4_over_4, x3), one_third), x2), 1);
    return softmax_add(constant_term, srdhm(constant_term, softmax_add(x, poly)));
}

/* exp(a) for a <= 0 in Q5.26, as Q0.31: the last quarter by softmax_exp_quarter, then a factor
 * exp(-2^k) for each bit k = -2 .. 4 of the rest. */
static int32_t softmax_exp(int32_t a)
{
    static const int32_t barrel[7] = { 1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242 };
    const int32_t quarter = 1 << 24;
    const int32_t a_mod_quarter_minus_quarter = softmax_sub(a & (quarter - 1), quarter);
    int32_t result = softmax_exp_quarter(softmax_shift_left(a_mod_quarter_minus_quarter, 5));
    const int32_t remainder = softmax_sub(a_mod_quarter_minus_quarter, a);
    for (int32_t i = 0; i < 7; i++)
        if (remainder & (1 << (24 + i))) result = srdhm(result, barrel[i]);
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a) for a in [0, 1), Q0.31 in and out: three Newton-Raphson steps in Q2.29. */
static int32_t softmax_one_over_one_plus_x(int32_t a)
{
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = softmax_add(1515870810, srdhm(half_denominator, -1010580540)); /* 48/17 - 32/17 d */
    for (int32_t i = 0; i < 3; i++) {
        const int32_t one_minus = softmax_sub(1 << 29, srdhm(half_denominator, x));
        x = softmax_add(x, softmax_shift_left(srdhm(x, one_minus), 2));
    }
    return softmax_shift_left(x, 1);
}

/* exp(beta · scale · diff) in Q0.31, diff <= 0 in input steps. */
static inline int32_t softmax_exp_of_diff(const rig_softmax_params *p, int32_t diff)
{
    return softmax_exp(srdhm((int32_t)((uint32_t)diff << p->input_left_shift), p->input_multiplier));
}

#endif
