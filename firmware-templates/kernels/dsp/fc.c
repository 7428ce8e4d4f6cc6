/* Operator fc (fully connected), dsp kernel; see rig_kernels.h. Two outputs at a time: four inputs
 * per step widened once with SXTB16 and multiplied with both weight rows by SMLAD; the input zero
 * point folded out of the loop (sum((x - z) w) = sum(x w) - z sum(w)). */
#include "rig_dsp_arith.h"

/* The dot products of x with two weight rows of n bytes, and the rows' sums. */
static void fc_dot2(const int8_t *x, const int8_t *w0, const int8_t *w1, uint32_t n, int32_t *xw0, int32_t *xw1, int32_t *sw0, int32_t *sw1)
{
    int32_t a0 = 0, a1 = 0, s0 = 0, s1 = 0;
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t v = ld32(x + i), u = ld32(w0 + i), t = ld32(w1 + i);
        int32_t x02 = sx02(v), x13 = sx13(v);
        int32_t u02 = sx02(u), u13 = sx13(u), t02 = sx02(t), t13 = sx13(t);
        a0 = __smlad(x02, u02, a0);
        a0 = __smlad(x13, u13, a0);
        a1 = __smlad(x02, t02, a1);
        a1 = __smlad(x13, t13, a1);
        s0 = __smlad(u02, 0x00010001, s0);
        s0 = __smlad(u13, 0x00010001, s0);
        s1 = __smlad(t02, 0x00010001, s1);
        s1 = __smlad(t13, 0x00010001, s1);
    }
    for (; i < n; i++) {
        a0 += x[i] * w0[i];
        a1 += x[i] * w1[i];
        s0 += w0[i];
        s1 += w1[i];
    }
    *xw0 = a0;
    *xw1 = a1;
    *sw0 = s0;
    *sw1 = s1;
}

static void fc_reference(const rig_fc_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t o = 0; o < p->out_n; o++) {
        int32_t acc = p->bias[o];
        const int8_t *w = p->weights + (uint32_t)o * p->in_n;
        for (uint32_t i = 0; i < p->in_n; i++) acc += ((int32_t)in[i] - p->in_zp) * (int32_t)w[i];
        int32_t v = rig_requantize(acc, p->multiplier[o], p->shift[o]) + p->out_zp;
        out[o] = clamp_s8(v, p->act_min, p->act_max);
    }
}

void rig_fc_s8(const rig_fc_params *p, const int8_t *in, int8_t *out)
{
    const uint32_t n = p->in_n;
    if (!dsp_rq_fits_all(p->bias, p->multiplier, p->shift, p->out_n, n)) {
        fc_reference(p, in, out);
        return;
    }
    for (int32_t o = 0; o < p->out_n; o += 2) {
        /* An odd last output is paired with itself. */
        const int32_t o1 = o + 1 < p->out_n ? o + 1 : o;
        int32_t acc[2], xw0, xw1, sw0, sw1;
        fc_dot2(in, p->weights + (uint32_t)o * n, p->weights + (uint32_t)o1 * n, n, &xw0, &xw1, &sw0, &sw1);
        acc[0] = p->bias[o] + xw0 - p->in_zp * sw0;
        acc[1] = p->bias[o1] + xw1 - p->in_zp * sw1;
        dsp_store(acc, 1, out + o, 1, dsp_rq_of(p->multiplier[o], p->shift[o]), p->out_zp, p->act_min, p->act_max);
        dsp_store(acc + 1, 1, out + o1, 1, dsp_rq_of(p->multiplier[o1], p->shift[o1]), p->out_zp, p->act_min, p->act_max);
    }
}
