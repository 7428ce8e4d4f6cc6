/* Operator scores (attention scores Q·K^T per head), reference kernel; see rig_kernels.h. */
#include "rig_kernel_util.h"

/* z_out + v clamped to int8, v first held within int8's reach so that the sum cannot overflow. */
static inline int8_t attention_out(int32_t v, int32_t out_zp)
{
    v = v < -256 ? -256 : v > 256 ? 256 : v;
    return clamp_s8(v + out_zp, -128, 127);
}

void rig_scores_s8(const rig_scores_params *p, const rig_window *win, const int8_t *qkv, int8_t *out)
{
    const int32_t t_n = p->tokens, c = p->c, dh = p->head_dim, z = p->in_zp;
    for (int32_t i = win->y0; i < win->y1; i++) {
        for (int32_t h = win->x0; h < win->x1; h++) {
            const int8_t *q = qkv + at(&win->in, i, 0) * c + p->q_offset + h * dh;
            int8_t *o = out + at(&win->out, i, h) * t_n;
            for (int32_t j = 0; j < t_n; j++) {
                const int8_t *k = qkv + at(&win->in, j, 0) * c + p->k_offset + h * dh;
                int32_t acc = 0;
                for (int32_t d = 0; d < dh; d++) acc += ((int32_t)q[d] - z) * ((int32_t)k[d] - z);
                o[j] = attention_out(rig_requantize(acc, p->multiplier, p->shift), p->out_zp);
            }
        }
    }
}
