/* Operator scores (attention scores Q·K^T per head), dsp kernel; see rig_kernels.h. Each query
 * (a row and head) is widened once to halfword pairs less the zero point, in SXTB16's order (bytes
 * 0 and 2, then 1 and 3 of each four channels); every key then takes SXTB16 and SMLAD, two keys
 * per pass sharing the query's words, with its zero point folded out of the loop:
 * sum((q - z)(k - z)) = sum((q - z) k) - z sum(q - z). */
#include "rig_dsp_arith.h"

/* The longest head the widened query's buffer takes (halfwords); longer ones go the reference way. */
#define SCORES_DH_MAX 512

static inline int8_t scores_out(int32_t v, int32_t out_zp)
{
    v = v < -256 ? -256 : v > 256 ? 256 : v;
    return clamp_s8(v + out_zp, -128, 127);
}

static void scores_reference(const rig_scores_params *p, const rig_window *win, const int8_t *qkv, int8_t *out)
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
                o[j] = scores_out(rig_requantize(acc, p->multiplier, p->shift), p->out_zp);
            }
        }
    }
}

/* The products of the widened query qw (d4 channels, a multiple of 4) with keys a and b. */
static inline void scores_dot2(const uint32_t *qw, const int8_t *a, const int8_t *b, int32_t d4, int32_t *acc_a, int32_t *acc_b)
{
    int32_t sa = 0, sb = 0;
    for (int32_t d = 0; d < d4; d += 4, qw += 2) {
        const uint32_t va = ld32(a + d), vb = ld32(b + d);
        const int32_t q02 = (int32_t)qw[0], q13 = (int32_t)qw[1];
        sa = __smlad(sx02(va), q02, sa);
        sb = __smlad(sx02(vb), q02, sb);
        sa = __smlad(sx13(va), q13, sa);
        sb = __smlad(sx13(vb), q13, sb);
    }
    *acc_a = sa;
    *acc_b = sb;
}

void rig_scores_s8(const rig_scores_params *p, const rig_window *win, const int8_t *qkv, int8_t *out)
{
    const int32_t t_n = p->tokens, c = p->c, dh = p->head_dim, z = p->in_zp, out_zp = p->out_zp;
    /* |acc| <= dh 255^2 must stay within dsp_requantize's range. */
    const int32_t shift_up = p->shift > 0 ? p->shift : 0;
    if (dh > SCORES_DH_MAX || (p->multiplier != 0 && (int64_t)dh * 255 * 255 >= ((int64_t)1 << (30 - shift_up)))) {
        scores_reference(p, win, qkv, out);
        return;
    }
    const dsp_rq q = dsp_rq_of(p->multiplier, p->shift);
    const int32_t d4 = dh & ~3, z2 = (int32_t)((uint16_t)z * 0x00010001u);
    /* Key j's head 0 at keys + j * c (the view is the whole tensor, from row 0). */
    const int8_t *keys = qkv + at(&win->in, 0, 0) * c + p->k_offset;
    uint32_t qw[SCORES_DH_MAX / 2];
    for (int32_t i = win->y0; i < win->y1; i++) {
        for (int32_t h = win->x0; h < win->x1; h++) {
            const int8_t *qs = qkv + at(&win->in, i, 0) * c + p->q_offset + h * dh;
            int32_t qsum = 0;
            for (int32_t d = 0; d < d4; d += 4) {
                const uint32_t v = ld32(qs + d);
                const int32_t lo = __ssub16(sx02(v), z2), hi = __ssub16(sx13(v), z2);
                qw[d / 2] = (uint32_t)lo;
                qw[d / 2 + 1] = (uint32_t)hi;
                qsum = __smlad(lo, 0x00010001, qsum);
                qsum = __smlad(hi, 0x00010001, qsum);
            }
            for (int32_t d = d4; d < dh; d++) qsum += qs[d] - z;
            /* The zero point of the keys folded out: base = -z sum(q - z). */
            const int32_t base = -z * qsum;
            const int8_t *kh = keys + h * dh;
            int8_t *o = out + at(&win->out, i, h) * t_n;
            for (int32_t j = 0; j < t_n; j += 2) {
                /* An odd last key is paired with itself. */
                const int32_t j1 = j + 1 < t_n ? j + 1 : j;
                const int8_t *ka = kh + j * c, *kb = kh + j1 * c;
                int32_t a, b;
                scores_dot2(qw, ka, kb, d4, &a, &b);
                a += base;
                b += base;
                for (int32_t d = d4; d < dh; d++) {
                    a += (qs[d] - z) * ka[d];
                    b += (qs[d] - z) * kb[d];
                }
                o[j] = (int8_t)__ssat(dsp_requantize(a, q) + out_zp, 8);
                o[j1] = (int8_t)__ssat(dsp_requantize(b, q) + out_zp, 8);
            }
        }
    }
}
