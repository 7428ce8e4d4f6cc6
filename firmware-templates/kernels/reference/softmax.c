/* Operator softmax (int8, over the channels of each pixel), reference kernel: TFLite's reference
 * int8 softmax on gemmlowp's fixed-point arithmetic (exp of the differences from the pixel's
 * maximum in Q5.26, their sum in Q12.19, its reciprocal by Newton-Raphson); see rig_kernels.h. */
#include "rig_softmax_arith.h"

void rig_softmax_s8(const rig_softmax_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    const int32_t c_n = p->c, diff_min = p->diff_min;
    for (int32_t y = win->y0; y < win->y1; y++) {
        for (int32_t x = win->x0; x < win->x1; x++) {
            const int8_t *pi = in + at(&win->in, y, x) * c_n;
            int8_t *po = out + at(&win->out, y, x) * c_n;
            int32_t max = -128;
            for (int32_t c = 0; c < c_n; c++)
                if (pi[c] > max) max = pi[c];
            int32_t sum = 0; /* Q12.19 */
            for (int32_t c = 0; c < c_n; c++) {
                const int32_t diff = pi[c] - max;
                if (diff >= diff_min) sum = softmax_add(sum, rounding_divide_by_pot(softmax_exp_of_diff(p, diff), 12));
            }
            /* 1/sum as a Q0.31 fraction and a power of two (TFLite's GetReciprocal). */
            const int32_t headroom = sum == 0 ? 32 : __builtin_clz((uint32_t)sum);
            const uint32_t shifted = headroom >= 32 ? 0u : (uint32_t)sum << headroom;
            const int32_t scale = softmax_one_over_one_plus_x((int32_t)(shifted - (1u << 31)));
            /* TFLite stops past 31 (a sum of exps of 512 or more); rig stays at 31. */
            int32_t exponent = 12 - headroom + 31 - 8;
            if (exponent > 31) exponent = 31;
            for (int32_t c = 0; c < c_n; c++) {
                const int32_t diff = pi[c] - max;
                const int32_t v = diff >= diff_min ? rounding_divide_by_pot(srdhm(scale, softmax_exp_of_diff(p, diff)), exponent) - 128 : -128;
                po[c] = clamp_s8(v, -128, 127);
            }
        }
    }
}
