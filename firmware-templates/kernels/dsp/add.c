/* Operator add (residual), dsp kernel; see rig_kernels.h. The reference arithmetic with its three
 * requantizations as SMMULR and a rounding shift (arith.c), once a check on the call's parameters
 * shows that no intermediate value leaves that requantization's range; each window row is one run
 * of bytes in every buffer, read in ascending order before the byte at or below is written. */
#include "rig_dsp_arith.h"

/* An upper bound of |rig_requantize(acc, multiplier, shift)| for |acc| <= bound. */
static int64_t add_scaled_bound(int64_t bound, int32_t shift)
{
    return (shift >= 0 ? bound << shift : bound >> -shift) + 1;
}

static int add_fits(const rig_add_params *p)
{
    if (p->left_shift < 0 || p->left_shift > 22 || p->in1_shift > 30 || p->in2_shift > 30 || p->out_shift > 30) return 0;
    const int64_t in = (int64_t)255 << p->left_shift;
    const int64_t in_limit1 = (int64_t)1 << (30 - (p->in1_shift > 0 ? p->in1_shift : 0));
    const int64_t in_limit2 = (int64_t)1 << (30 - (p->in2_shift > 0 ? p->in2_shift : 0));
    const int64_t out_limit = (int64_t)1 << (30 - (p->out_shift > 0 ? p->out_shift : 0));
    return in < in_limit1 && in < in_limit2 && add_scaled_bound(in, p->in1_shift) + add_scaled_bound(in, p->in2_shift) < out_limit;
}

static void add_reference(const rig_add_params *p, const rig_window *win, const int8_t *a, const int8_t *b, int8_t *out)
{
    const int32_t lift = 1 << p->left_shift, c_n = p->c;
    for (int32_t y = win->y0; y < win->y1; y++) {
        for (int32_t x = win->x0; x < win->x1; x++) {
            const int8_t *pa = a + at(&win->in, y, x) * c_n;
            const int8_t *pb = b + at(&win->in2, y, x) * c_n;
            int8_t *po = out + at(&win->out, y, x) * c_n;
            for (int32_t c = 0; c < c_n; c++) {
                int32_t sa = rig_requantize(((int32_t)pa[c] - p->in1_zp) * lift, p->in1_mult, p->in1_shift);
                int32_t sb = rig_requantize(((int32_t)pb[c] - p->in2_zp) * lift, p->in2_mult, p->in2_shift);
                int32_t v = rig_requantize(sa + sb, p->out_mult, p->out_shift) + p->out_zp;
                po[c] = clamp_s8(v, p->act_min, p->act_max);
            }
        }
    }
}

/* n bytes of each input to n bytes of output (which may be either input's bytes, see above). */
__attribute__((noinline)) static void add_run(const rig_add_params *p, const int8_t *a, const int8_t *b, int8_t *out, int32_t n)
{
    const dsp_rq q1 = dsp_rq_of(p->in1_mult, p->in1_shift), q2 = dsp_rq_of(p->in2_mult, p->in2_shift);
    const dsp_rq qo = dsp_rq_of(p->out_mult, p->out_shift);
    /* (x - z) << left_shift << left1 as one shift of x - z. */
    const int32_t la = p->left_shift + q1.left1, lb = p->left_shift + q2.left1, za = p->in1_zp, zb = p->in2_zp;
    const int32_t lo = p->act_min - p->out_zp, hi = p->act_max - p->out_zp, out_zp = p->out_zp;
    for (int32_t i = 0; i < n; i++) {
        int32_t xa = smmulr((int32_t)((uint32_t)(a[i] - za) << la), q1.mult);
        int32_t xb = smmulr((int32_t)((uint32_t)(b[i] - zb) << lb), q2.mult);
        int32_t s = ((xa + q1.rnd + ((xa >> 31) & q1.neg)) >> q1.right) + ((xb + q2.rnd + ((xb >> 31) & q2.neg)) >> q2.right);
        int32_t v = dsp_requantize(s, qo);
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        out[i] = (int8_t)(v + out_zp);
    }
}

void rig_add_s8(const rig_add_params *p, const rig_window *win, const int8_t *a, const int8_t *b, int8_t *out)
{
    if (!add_fits(p)) {
        add_reference(p, win, a, b, out);
        return;
    }
    const int32_t c_n = p->c, n = (win->x1 - win->x0) * c_n;
    for (int32_t y = win->y0; y < win->y1; y++)
        add_run(p, a + at(&win->in, y, win->x0) * c_n, b + at(&win->in2, y, win->x0) * c_n, out + at(&win->out, y, win->x0) * c_n, n);
}
