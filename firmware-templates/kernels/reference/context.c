/* Operator context (attention probabilities times values A·V per head), reference kernel; see
 * rig_kernels.h. */
#include "rig_kernel_util.h"

/* z_out + v clamped to int8, v first held within int8's reach so that the sum cannot overflow. */
static inline int8_t context_out(int32_t v, int32_t out_zp)
{
    v = v < -256 ? -256 : v > 256 ? 256 : v;
    return clamp_s8(v + out_zp, -128, 127);
}

void rig_context_s8(const rig_context_params *p, const rig_window *win, const int8_t *probs, const int8_t *qkv, int8_t *out)
{
    const int32_t t_n = p->tokens, c = p->c, heads = p->heads, dh = p->head_dim;
    for (int32_t i = win->y0; i < win->y1; i++) {
        int8_t *o = out + at(&win->out, i, 0) * heads * dh;
        for (int32_t h = 0; h < heads; h++) {
            const int8_t *pr = probs + at(&win->in, i, h) * t_n;
            for (int32_t d = 0; d < dh; d++) {
                const int8_t *v = qkv + p->v_offset + h * dh + d;
                int32_t acc = 0;
                for (int32_t j = 0; j < t_n; j++) acc += ((int32_t)pr[j] - p->p_zp) * ((int32_t)v[at(&win->in2, j, 0) * c] - p->v_zp);
                o[h * dh + d] = context_out(rig_requantize(acc, p->multiplier, p->shift), p->out_zp);
            }
        }
    }
}
