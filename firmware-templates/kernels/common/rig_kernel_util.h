/* Arithmetic and addressing that every kernel variant shares; internal to the kernels, not part of
 * the rig_kernels.h contract. A variant and common/ are compiled as one translation unit (rig's
 * build includes them into one file), so a kernel's call of rig_requantize costs what it would if
 * every kernel were written in one file. */
#ifndef RIG_KERNEL_UTIL_H
#define RIG_KERNEL_UTIL_H

#include <stdint.h>
#include "rig_kernels.h"

/* gemmlowp's SaturatingRoundingDoublingHighMul: the high 32 bits of 2ab, rounded. */
static inline int32_t srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / (1ll << 31));
}

/* x / 2^exponent, rounded half away from zero (gemmlowp's RoundingDivideByPOT). */
static inline int32_t rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    int32_t mask = (int32_t)((1u << exponent) - 1u);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* acc * multiplier * 2^shift with the multiplier a Q31 fraction: TFLite's
 * MultiplyByQuantizedMultiplier (rig_requantize in rig_kernels.h). */
static inline int32_t requantize_inline(int32_t acc, int32_t multiplier, int32_t shift)
{
    int32_t left = shift > 0 ? shift : 0;
    int32_t right = shift > 0 ? 0 : -shift;
    int32_t shifted = (int32_t)((uint32_t)acc * (1u << left));
    return rounding_divide_by_pot(srdhm(shifted, multiplier), right);
}

static inline int8_t clamp_s8(int32_t v, int32_t lo, int32_t hi)
{
    return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

/* floor(sqrt(v)) of a 64-bit value, one result bit per step from the top (LayerNorm's integer
 * square root). */
static inline uint32_t rig_isqrt_u64(uint64_t v)
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

/* Offset of pixel (y, x) in a buffer holding view v, in pixels. */
static inline int32_t at(const rig_view *v, int32_t y, int32_t x)
{
    return (y - v->y0) * v->w + (x - v->x0);
}

#endif
