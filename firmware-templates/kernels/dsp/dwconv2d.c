/* Operator dwconv2d, dsp kernels (plain and in place); see rig_kernels.h. One channel at a time:
 * its weights are gathered once, its output columns split into the interior (every tap of a kernel
 * row inside the tensor: no bounds checks) and the border (taps clipped). On a contiguous channel
 * plane (the in-place kernel's scratch) interior kernel rows are read four bytes at a time and
 * multiplied as halfword pairs with SMLAD; 3x3 kernels compute two outputs per load. The input
 * zero point leaves the inner loops: sum((x - z) w) = sum(x w) - z sum(w) over the rows inside. */
#include "rig_dsp_arith.h"

#define DW_MAX_K 7

/* One channel's weights, sign-extended (taps[ky][kx]), each row's sum, and for kernels of 4 or more
 * columns each row packed as halfword pairs for SMLAD on a 4-byte load: words 2g and 2g+1 hold the
 * weights of bytes 0, 2 and 1, 3 of the load at column min(4g, kw - 4), columns already covered
 * by an earlier load weighted 0; a last single column (kw % 4 == 1) is read alone; for 3 columns
 * (w0, w2) and (w1, w2). */
typedef struct {
    int32_t taps[DW_MAX_K][DW_MAX_K];
    int32_t row_sum[DW_MAX_K];
    int32_t packed[DW_MAX_K][4];
} dw_weights;

static void dw_gather(const rig_conv_params *p, int32_t c, dw_weights *g)
{
    const int32_t kh = p->kh, kw = p->kw, c_n = p->out_c;
    for (int32_t ky = 0; ky < kh; ky++) {
        int32_t s = 0;
        for (int32_t kx = 0; kx < kw; kx++) {
            int32_t w = p->weights[(ky * kw + kx) * c_n + c];
            g->taps[ky][kx] = w;
            s += w;
        }
        g->row_sum[ky] = s;
        if (kw == 3) {
            /* (w0, w2) and (w1, w2) as halfword pairs; w1 alone is the low half of the second. */
            g->packed[ky][0] = (int32_t)(((uint32_t)g->taps[ky][2] << 16) | ((uint32_t)g->taps[ky][0] & 0xffffu));
            g->packed[ky][1] = (int32_t)(((uint32_t)g->taps[ky][2] << 16) | ((uint32_t)g->taps[ky][1] & 0xffffu));
        } else if (kw >= 4) {
            /* kw 4..7: the load at 0, and for kw 6, 7 the one at kw - 4 for the columns past 3. */
            int32_t t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (int32_t kx = 0; kx < 4; kx++) t[kx] = g->taps[ky][kx];
            if (kw >= 6)
                for (int32_t kx = 4; kx < kw; kx++) t[4 + kx - (kw - 4)] = g->taps[ky][kx];
            for (int32_t w = 0; w < 2; w++) {
                g->packed[ky][2 * w] = (int32_t)(((uint32_t)t[4 * w + 2] << 16) | ((uint32_t)t[4 * w] & 0xffffu));
                g->packed[ky][2 * w + 1] = (int32_t)(((uint32_t)t[4 * w + 3] << 16) | ((uint32_t)t[4 * w + 1] & 0xffffu));
            }
        }
    }
}

/* Output columns whose accumulators are formed before they are requantized together. */
#define DW_CHUNK 32

/* Border output: taps clipped to rows [ky0, ky1) and columns [kx0, kx1); src points at tap (0, 0)
 * (possibly outside the buffer: only taps inside are read), pitch bytes per row, step per column;
 * the channel's weights read where they are, w at tap (0, 0), c_n bytes apart. */
static int32_t dw_clipped(const int8_t *w, int32_t kw, int32_t c_n, int32_t bias, int32_t in_zp, const int8_t *src, int32_t pitch, int32_t step, int32_t ky0, int32_t ky1, int32_t kx0, int32_t kx1)
{
    int32_t acc = bias;
    for (int32_t ky = ky0; ky < ky1; ky++) {
        const int8_t *row = src + ky * pitch + kx0 * step, *wr = w + (ky * kw + kx0) * c_n;
        for (int32_t kx = kx0; kx < kx1; kx++, row += step, wr += c_n) acc += (*row - in_zp) * *wr;
    }
    return acc;
}

/* Interior, 3x3, stride 1 or 2, contiguous plane: the accumulators of n outputs, two per step. x
 * points at tap (0, 0) of the first output; kernel rows [ky0, ky1) are inside the tensor; base is
 * the bias less the zero point times those rows' weights. */
__attribute__((noinline)) static void dw_3x3_run(const dw_weights *g, const int8_t *x, int32_t pitch, int32_t stride, int32_t ky0, int32_t ky1, int32_t base, int32_t *acc, int32_t n)
{
    const int32_t w02[3] = {g->packed[0][0], g->packed[1][0], g->packed[2][0]};
    const int32_t w12[3] = {g->packed[0][1], g->packed[1][1], g->packed[2][1]};
    int32_t i = 0;
    if (ky0 == 0 && ky1 == 3) {
        /* Every kernel row inside: the rows unrolled, their weights in registers. */
        const int32_t p0 = w02[0], q0 = w12[0], p1 = w02[1], q1 = w12[1], p2 = w02[2], q2 = w12[2];
        if (stride == 1) {
            for (; i + 2 <= n; i += 2) {
                /* Bytes x0..x3 of each row: a = w0 x0 + w2 x2 + w1 x1, b = w0 x1 + w2 x3 + w1 x2. */
                uint32_t v = ld32(x);
                int32_t e = sx02(v), o = sx13(v);
                int32_t a = __smlad(e, p0, base), b = __smlad(o, p0, base);
                a = __smlabb(o, q0, a);
                b = __smlatb(e, q0, b);
                v = ld32(x + pitch);
                e = sx02(v);
                o = sx13(v);
                a = __smlad(e, p1, a);
                b = __smlad(o, p1, b);
                a = __smlabb(o, q1, a);
                b = __smlatb(e, q1, b);
                v = ld32(x + 2 * pitch);
                e = sx02(v);
                o = sx13(v);
                a = __smlad(e, p2, a);
                b = __smlad(o, p2, b);
                acc[i] = __smlabb(o, q2, a);
                acc[i + 1] = __smlatb(e, q2, b);
                x += 2;
            }
        } else {
            for (; i + 2 <= n; i += 2) {
                /* Bytes x0..x4 of each row: a = w0 x0 + w2 x2 + w1 x1, b = w0 x2 + w1 x3 + w2 x4. */
                uint32_t v = ld32(x);
                int32_t e = sx02(v), o = sx13(v);
                int32_t a = __smlad(e, p0, base), b = __smlatb(e, p0, base);
                a = __smlabb(o, q0, a);
                b = __smlatb(o, q0, b);
                b = __smlabt((int32_t)x[4], p0, b);
                v = ld32(x + pitch);
                e = sx02(v);
                o = sx13(v);
                a = __smlad(e, p1, a);
                b = __smlatb(e, p1, b);
                a = __smlabb(o, q1, a);
                b = __smlatb(o, q1, b);
                b = __smlabt((int32_t)x[pitch + 4], p1, b);
                v = ld32(x + 2 * pitch);
                e = sx02(v);
                o = sx13(v);
                a = __smlad(e, p2, a);
                b = __smlatb(e, p2, b);
                acc[i] = __smlabb(o, q2, a);
                b = __smlatb(o, q2, b);
                acc[i + 1] = __smlabt((int32_t)x[2 * pitch + 4], p2, b);
                x += 4;
            }
        }
    } else if (stride == 1) {
        for (; i + 2 <= n; i += 2) {
            int32_t a = base, b = base;
            const int8_t *r = x + ky0 * pitch;
            for (int32_t ky = ky0; ky < ky1; ky++, r += pitch) {
                uint32_t v = ld32(r);
                int32_t e = sx02(v), o = sx13(v);
                a = __smlad(e, w02[ky], a);
                a = __smlabb(o, w12[ky], a);
                b = __smlad(o, w02[ky], b);
                b = __smlatb(e, w12[ky], b);
            }
            acc[i] = a;
            acc[i + 1] = b;
            x += 2;
        }
    } else {
        for (; i + 2 <= n; i += 2) {
            int32_t a = base, b = base;
            const int8_t *r = x + ky0 * pitch;
            for (int32_t ky = ky0; ky < ky1; ky++, r += pitch) {
                uint32_t v = ld32(r);
                int32_t e = sx02(v), o = sx13(v);
                a = __smlad(e, w02[ky], a);
                a = __smlabb(o, w12[ky], a);
                b = __smlatb(e, w02[ky], b);
                b = __smlatb(o, w12[ky], b);
                b = __smlabt((int32_t)r[4], w02[ky], b);
            }
            acc[i] = a;
            acc[i + 1] = b;
            x += 4;
        }
    }
    if (i < n) {
        int32_t a = base;
        const int8_t *r = x + ky0 * pitch;
        for (int32_t ky = ky0; ky < ky1; ky++, r += pitch) {
            a += r[0] * g->taps[ky][0];
            a += r[1] * g->taps[ky][1];
            a += r[2] * g->taps[ky][2];
        }
        acc[i] = a;
    }
}

/* Interior, 4 to 7 columns, contiguous plane: per kernel row one or two 4-byte loads (see
 * dw_weights), a fifth column alone. Arguments as dw_3x3_run's. */
__attribute__((noinline)) static void dw_wide_run(const dw_weights *g, int32_t kw, const int8_t *x, int32_t pitch, int32_t stride, int32_t ky0, int32_t ky1, int32_t base, int32_t *acc, int32_t n)
{
    const int32_t second = kw >= 6 ? kw - 4 : -1, single = kw == 5 ? 4 : -1;
    int32_t i = 0;
    /* Two outputs per pass over the kernel rows, sharing each row's weights. */
    for (; i + 2 <= n; i += 2) {
        int32_t a = base, b = base;
        const int8_t *r = x + ky0 * pitch;
        for (int32_t ky = ky0; ky < ky1; ky++, r += pitch) {
            const int32_t *w = g->packed[ky];
            const int32_t w0 = w[0], w1 = w[1];
            uint32_t v = ld32(r), u = ld32(r + stride);
            a = __smlad(sx02(v), w0, a);
            a = __smlad(sx13(v), w1, a);
            b = __smlad(sx02(u), w0, b);
            b = __smlad(sx13(u), w1, b);
            if (second >= 0) {
                const int32_t w2 = w[2], w3 = w[3];
                v = ld32(r + second);
                u = ld32(r + stride + second);
                a = __smlad(sx02(v), w2, a);
                a = __smlad(sx13(v), w3, a);
                b = __smlad(sx02(u), w2, b);
                b = __smlad(sx13(u), w3, b);
            } else if (single >= 0) {
                const int32_t t = g->taps[ky][4];
                a += r[4] * t;
                b += r[stride + 4] * t;
            }
        }
        acc[i] = a;
        acc[i + 1] = b;
        x += 2 * stride;
    }
    if (i < n) {
        int32_t a = base;
        const int8_t *r = x + ky0 * pitch;
        for (int32_t ky = ky0; ky < ky1; ky++, r += pitch) {
            const int32_t *w = g->packed[ky];
            uint32_t v = ld32(r);
            a = __smlad(sx02(v), w[0], a);
            a = __smlad(sx13(v), w[1], a);
            if (second >= 0) {
                uint32_t u = ld32(r + second);
                a = __smlad(sx02(u), w[2], a);
                a = __smlad(sx13(u), w[3], a);
            } else if (single >= 0) {
                a += r[single] * g->taps[ky][single];
            }
        }
        acc[i] = a;
    }
}

/* One channel over the window. Input pixel (y, x) of the channel is src[at(in, y, x) * step],
 * output pixel (y, x) goes to out[at(out, y, x) * c_n]. */
static void dw_channel_run(const rig_conv_params *p, const rig_window *win, int32_t c, const int8_t *src, int32_t step, int8_t *out)
{
    const rig_view iv = win->in, ov = win->out;
    const int32_t in_h = p->in_h, in_w = p->in_w, c_n = p->out_c;
    const int32_t kh = p->kh, kw = p->kw, stride = p->stride, pt = p->pad_top, pl = p->pad_left;
    const int32_t pitch = iv.w * step, bias = p->bias[c], in_zp = p->in_zp;
    const dsp_rq q = dsp_rq_of(p->multiplier[c], p->shift[c]);
    const int8_t *w = p->weights + c;
    dw_weights g;
    int32_t acc[DW_CHUNK];
    /* Interior columns: ox * stride - pl >= 0 and ox * stride - pl + kw <= in_w. */
    int32_t xa = (pl + stride - 1) / stride, xb = in_w + pl - kw >= 0 ? (in_w + pl - kw) / stride + 1 : 0;
    if (xa < win->x0) xa = win->x0;
    if (xb > win->x1) xb = win->x1;
    if (xb < xa) xb = xa;
    const int fast3 = step == 1 && kw == 3 && kh <= 3 && stride <= 2, fast_wide = step == 1 && kw >= 4;
    /* The gathered weights serve the interior only: a window of border columns reads them in place. */
    if (xb > xa) dw_gather(p, c, &g);
    for (int32_t oy = win->y0; oy < win->y1; oy++) {
        const int32_t y0 = oy * stride - pt;
        const int32_t ky0 = y0 < 0 ? -y0 : 0, ky1 = y0 + kh > in_h ? in_h - y0 : kh;
        int32_t wsum = 0;
        if (xb > xa)
            for (int32_t ky = ky0; ky < ky1; ky++) wsum += g.row_sum[ky];
        const int32_t base = bias - in_zp * wsum;
        /* Tap (0, 0) of output (oy, ox) is at row + (ox * stride - pl) * step, maybe outside the buffer. */
        const int8_t *row = src + (y0 - iv.y0) * pitch - iv.x0 * step;
        int8_t *orow = out + at(&ov, oy, ov.x0) * c_n;
        for (int32_t x0 = win->x0; x0 < win->x1; x0 += DW_CHUNK) {
            const int32_t x1 = win->x1 - x0 < DW_CHUNK ? win->x1 : x0 + DW_CHUNK;
            const int32_t a = xa > x0 ? (xa < x1 ? xa : x1) : x0, b = xb < x1 ? (xb > a ? xb : a) : x1;
            for (int32_t ox = x0; ox < x1; ox++) {
                if (ox == a && b > a) {
                    const int8_t *x = row + (ox * stride - pl) * step;
                    if (fast3)
                        dw_3x3_run(&g, x, pitch, stride, ky0, ky1, base, acc + (ox - x0), b - a);
                    else if (fast_wide)
                        dw_wide_run(&g, kw, x, pitch, stride, ky0, ky1, base, acc + (ox - x0), b - a);
                    else
                        for (int32_t i = 0; i < b - a; i++)
                            acc[ox - x0 + i] = dw_clipped(w, kw, c_n, bias, in_zp, x + i * stride * step, pitch, step, ky0, ky1, 0, kw);
                    ox = b - 1;
                    continue;
                }
                const int32_t ix = ox * stride - pl;
                const int32_t kx0 = ix < 0 ? -ix : 0, kx1 = ix + kw > in_w ? in_w - ix : kw;
                acc[ox - x0] = dw_clipped(w, kw, c_n, bias, in_zp, row + ix * step, pitch, step, ky0, ky1, kx0, kx1);
            }
            dsp_store(acc, x1 - x0, orow + (x0 - ov.x0) * c_n, c_n, q, p->out_zp, p->act_min, p->act_max);
        }
    }
}

/* The reference kernel's channel loop, for multipliers the fast requantization does not cover. */
static void dw_channel_reference(const rig_conv_params *p, const rig_window *win, int32_t c, const int8_t *src, int32_t src_step, int8_t *out)
{
    const rig_view iv = win->in, ov = win->out;
    const int32_t in_h = p->in_h, in_w = p->in_w, c_n = p->out_c;
    const int32_t kh = p->kh, kw = p->kw, stride = p->stride;
    const int32_t in_zp = p->in_zp, bias = p->bias[c], mult = p->multiplier[c], shift = p->shift[c];
    const int32_t out_zp = p->out_zp, act_min = p->act_min, act_max = p->act_max;
    const int8_t *weights = p->weights + c;
    for (int32_t oy = win->y0; oy < win->y1; oy++) {
        for (int32_t ox = win->x0; ox < win->x1; ox++) {
            const int32_t y0 = oy * stride - p->pad_top;
            const int32_t x0 = ox * stride - p->pad_left;
            int32_t acc = bias;
            for (int32_t ky = 0; ky < kh; ky++) {
                const int32_t iy = y0 + ky;
                if (iy < 0 || iy >= in_h) continue;
                for (int32_t kx = 0; kx < kw; kx++) {
                    const int32_t ix = x0 + kx;
                    if (ix < 0 || ix >= in_w) continue;
                    acc += ((int32_t)src[at(&iv, iy, ix) * src_step] - in_zp) * (int32_t)weights[(ky * kw + kx) * c_n];
                }
            }
            int32_t v = rig_requantize(acc, mult, shift) + out_zp;
            out[at(&ov, oy, ox) * c_n] = clamp_s8(v, act_min, act_max);
        }
    }
}

static void dw_channel_any(const rig_conv_params *p, const rig_window *win, int32_t c, const int8_t *src, int32_t step, int8_t *out)
{
    if (p->kh > DW_MAX_K || p->kw > DW_MAX_K || !dsp_rq_fits(p->bias[c], p->shift[c], (uint32_t)p->kh * p->kw))
        dw_channel_reference(p, win, c, src, step, out);
    else
        dw_channel_run(p, win, c, src, step, out);
}

void rig_dwconv2d_s8(const rig_conv_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    for (int32_t c = 0; c < p->out_c; c++) dw_channel_any(p, win, c, in + c, p->out_c, out + c);
}

void rig_dwconv2d_s8_inplace(const rig_conv_params *p, const rig_window *win, int8_t *data, int8_t *scratch)
{
    const int32_t c_n = p->out_c, pixels = (int32_t)win->in.h * win->in.w;
    for (int32_t c = 0; c < c_n; c++) {
        const int8_t *s = data + c;
        int32_t i = 0;
        for (; i + 4 <= pixels; i += 4, s += 4 * c_n) {
            uint32_t v = (uint8_t)s[0] | (uint32_t)(uint8_t)s[c_n] << 8 | (uint32_t)(uint8_t)s[2 * c_n] << 16 | (uint32_t)(uint8_t)s[3 * c_n] << 24;
            memcpy(scratch + i, &v, 4);
        }
        for (; i < pixels; i++, s += c_n) scratch[i] = *s;
        dw_channel_any(p, win, c, scratch, 1, data + c);
    }
}
