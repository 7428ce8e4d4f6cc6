/* Operator layernorm (integer LayerNorm over each token's channels), reference kernel; the
 * arithmetic is rig/ops/layernorm.ts's, see rig_kernels.h. Three passes over a token (sum; sum of
 * squares; outputs), each reading the input again, so that the output may overwrite it. */
#include "rig_kernel_util.h"

void rig_layernorm_s8(const rig_layernorm_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    const int32_t c_n = p->c, z = p->in_zp;
    for (int32_t y = win->y0; y < win->y1; y++) {
        for (int32_t x = win->x0; x < win->x1; x++) {
            const int8_t *pi = in + at(&win->in, y, x) * c_n;
            int8_t *po = out + at(&win->out, y, x) * c_n;
            int32_t s = 0;
            for (int32_t c = 0; c < c_n; c++) s += pi[c] - z;
            /* u = C (x - z) - s is C times the distance from the mean, exactly. */
            uint64_t sq = 0;
            for (int32_t c = 0; c < c_n; c++) {
                const int32_t u = c_n * (pi[c] - z) - s;
                sq += (uint64_t)((int64_t)u * u);
            }
            uint32_t r = rig_isqrt_u64(sq / (uint32_t)c_n);
            if (r == 0) r = 1;
            const int32_t rs = (int32_t)r, half = rs >> 1;
            for (int32_t c = 0; c < c_n; c++) {
                const int32_t num = (c_n * (pi[c] - z) - s) * (1 << 12);
                const int32_t n = (num >= 0 ? num + half : num - half) / rs;
                /* n γ + β wraps as the TypeScript reference's int32 accumulator does. */
                const int32_t acc = (int32_t)((uint32_t)n * (uint32_t)(int32_t)p->weights[c] + (uint32_t)p->bias[c]);
                po[c] = clamp_s8(rig_requantize(acc, p->multiplier[c], p->shift[c]) + p->out_zp, p->act_min, p->act_max);
            }
        }
    }
}
