/* Operator avgpool (global), dsp kernel: four channels a word, SXTAB16 adding a pixel's bytes 0
 * and 2, then 1 and 3, to two pairs of halfword sums, which hold the sums of up to 256 pixels
 * (256 * -128 = -2^15); larger maps, and the channels past the last multiple of four, are summed
 * one channel at a time. See rig_kernels.h. */
#include "rig_dsp_arith.h"

/* acc's halfwords plus the sign-extended bytes 1 and 3 of x (SXTAB16 with its free rotation). */
static inline uint32_t sxtab16_13(uint32_t acc, uint32_t x)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(x));
    return r;
}

/* The sum's average rounded half away from zero, clamped: the reference kernel's. */
static int8_t average(int32_t acc, int32_t count, int32_t lo, int32_t hi)
{
    const int32_t avg = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
    return clamp_s8(avg, lo, hi);
}

void rig_avgpool_global_s8(const rig_pool_params *p, const int8_t *in, int8_t *out)
{
    const int32_t count = (int32_t)p->in_h * p->in_w, n = p->c, lo = p->act_min, hi = p->act_max;
    int32_t c = 0;
    if (count <= 256) {
        for (; c + 4 <= n; c += 4) {
            uint32_t s02 = 0, s13 = 0;
            const int8_t *src = in + c;
            for (int32_t i = 0; i < count; i++, src += n) {
                const uint32_t w = ld32(src);
                s02 = __sxtab16(s02, w);
                s13 = sxtab16_13(s13, w);
            }
            out[c] = average((int16_t)s02, count, lo, hi);
            out[c + 1] = average((int16_t)s13, count, lo, hi);
            out[c + 2] = average((int16_t)(s02 >> 16), count, lo, hi);
            out[c + 3] = average((int16_t)(s13 >> 16), count, lo, hi);
        }
    }
    for (; c < n; c++) {
        int32_t acc = 0;
        for (int32_t i = 0; i < count; i++) acc += in[i * n + c];
        out[c] = average(acc, count, lo, hi);
    }
}
