/* Arithmetic the dsp kernels share: word loads, the DSP extension's byte-pair widening, and a
 * requantization bit-exact with rig_requantize without its 64-bit division. Each kernel file
 * includes this one (the build's unit includes it once more, a no-op then); a .c file rather than
 * a header so that the build id, which covers the variant's .c files, covers it too. */
#ifndef RIG_DSP_ARITH_C
#define RIG_DSP_ARITH_C

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

/* One output channel's requantization, prepared once: rig_requantize(acc, mult, shift) is
 * dsp_requantize(acc, q) whenever mult != INT32_MIN (see dsp_rq_ok). */
typedef struct {
    int32_t mult, left, right, mask;
} dsp_rq;

static inline dsp_rq dsp_rq_of(int32_t mult, int32_t shift)
{
    dsp_rq q;
    q.mult = mult;
    q.left = shift > 0 ? shift : 0;
    q.right = shift > 0 ? 0 : -shift;
    q.mask = (int32_t)((1u << q.right) - 1u);
    return q;
}

/* gemmlowp's nudge-and-truncate of 2ab / 2^32 equals floor((ab + 2^30) / 2^31) for every product
 * but the saturating one (a = b = INT32_MIN); the rounding division by 2^right is the reference's
 * remainder-against-threshold test, written without branches. */
static inline int32_t dsp_requantize(int32_t acc, dsp_rq q)
{
    int32_t a = (int32_t)((uint32_t)acc << q.left);
    int32_t x = (int32_t)(((int64_t)a * q.mult + (1 << 30)) >> 31);
    int32_t threshold = (q.mask >> 1) + (int32_t)((uint32_t)x >> 31);
    return (x >> q.right) + (int32_t)((uint32_t)(threshold - (x & q.mask)) >> 31);
}

/* Whether every multiplier takes the fast requantization (TFLite's are in [2^30, 2^31) or 0). */
static inline int dsp_rq_ok(const int32_t *mult, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        if (mult[i] == INT32_MIN) return 0;
    return 1;
}

static inline int8_t dsp_clamp(int32_t v, int32_t lo, int32_t hi)
{
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
}

#endif
