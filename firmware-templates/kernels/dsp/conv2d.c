/* Operator conv2d, dsp kernel; see rig_kernels.h. A convolution is a matrix multiply of columns
 * by the weights: a 1x1's columns are its input pixels, other kernels gather each output pixel's
 * taps into a column (im2col). Columns of at most GEMM_K_MAX taps, under the usual requantization
 * (gemm_fits), take the GEMM path (rig_dsp_gemm.h): columns and weights widened to halfword pairs
 * once, two pixels by four output channels with SMLAD alone. Other calls go two output channels
 * of two pixels at a time, four input channels per step widened with SXTB16 in the loop and
 * multiplied with SMLAD, the input zero point out of the inner loop (sum((x - z) w) = sum(x w) -
 * z sum(w), the weight sums formed once per call). */
#include "rig_dsp_arith.h"
#include "rig_dsp_gemm.h"

/* sum of n int8 weights. */
static int32_t weight_sum(const int8_t *w, int32_t n)
{
    int32_t s = 0, i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t v = ld32(w + i);
        s = __smlad(sx02(v), 0x00010001, s);
        s = __smlad(sx13(v), 0x00010001, s);
    }
    for (; i < n; i++) s += w[i];
    return s;
}

/* Pixels whose accumulators are formed before they are requantized together. */
#define PW_CHUNK 32

/* Four input channels of pixels a and b against the weights u (channel 0) and v (channel 1). */
#define PW_STEP(pa, pb, pu, pv)                                                                                        \
    do {                                                                                                               \
        uint32_t va_ = ld32(pa), u_ = ld32(pu);                                                                        \
        int32_t a02_ = sx02(va_), u02_ = sx02(u_);                                                                     \
        a0 = __smlad(a02_, u02_, a0);                                                                                  \
        int32_t a13_ = sx13(va_), u13_ = sx13(u_);                                                                     \
        a0 = __smlad(a13_, u13_, a0);                                                                                  \
        uint32_t vb_ = ld32(pb);                                                                                       \
        int32_t b02_ = sx02(vb_);                                                                                      \
        b0 = __smlad(b02_, u02_, b0);                                                                                  \
        int32_t b13_ = sx13(vb_);                                                                                      \
        b0 = __smlad(b13_, u13_, b0);                                                                                  \
        uint32_t v_ = ld32(pv);                                                                                        \
        int32_t v02_ = sx02(v_);                                                                                       \
        a1 = __smlad(a02_, v02_, a1);                                                                                  \
        b1 = __smlad(b02_, v02_, b1);                                                                                  \
        int32_t v13_ = sx13(v_);                                                                                       \
        a1 = __smlad(a13_, v13_, a1);                                                                                  \
        b1 = __smlad(b13_, v13_, b1);                                                                                  \
    } while (0)

/* The accumulators of output channels oc, oc+1 (weights w0, w1, k_n taps each, sums folded into
 * base0, base1) of n <= PW_CHUNK pixels: pixel i's column of k_n taps is at in + i * in_step. */
__attribute__((noinline)) static void pw_pair_acc(const int8_t *w0, const int8_t *w1, int32_t k_n, int32_t base0, int32_t base1, const int8_t *in, int32_t in_step, int32_t n, int32_t *acc0, int32_t *acc1)
{
    const int32_t k8 = k_n & ~7, k4 = k_n & ~3;
    int32_t i = 0;
    for (; i + 2 <= n; i += 2) {
        const int8_t *a = in + i * in_step, *b = a + in_step;
        int32_t a0 = base0, a1 = base1, b0 = base0, b1 = base1;
        const int8_t *pa = a, *pu = w0, *end = a + k8;
        const int32_t db = (int32_t)(b - a), dv = (int32_t)(w1 - w0);
        while (pa != end) {
            PW_STEP(pa, pa + db, pu, pu + dv);
            PW_STEP(pa + 4, pa + db + 4, pu + 4, pu + dv + 4);
            pa += 8;
            pu += 8;
        }
        if (k4 != k8) PW_STEP(pa, pa + db, pu, pu + dv);
        for (int32_t c = k4; c < k_n; c++) {
            a0 += a[c] * w0[c];
            a1 += a[c] * w1[c];
            b0 += b[c] * w0[c];
            b1 += b[c] * w1[c];
        }
        acc0[i] = a0;
        acc1[i] = a1;
        acc0[i + 1] = b0;
        acc1[i + 1] = b1;
    }
    if (i < n) {
        const int8_t *a = in + i * in_step;
        int32_t a0 = base0, a1 = base1;
        int32_t c = 0;
        for (; c < k4; c += 4) {
            uint32_t va = ld32(a + c), u = ld32(w0 + c), v = ld32(w1 + c);
            int32_t a02 = sx02(va), a13 = sx13(va);
            a0 = __smlad(a02, sx02(u), a0);
            a0 = __smlad(a13, sx13(u), a0);
            a1 = __smlad(a02, sx02(v), a1);
            a1 = __smlad(a13, sx13(v), a1);
        }
        for (; c < k_n; c++) {
            a0 += a[c] * w0[c];
            a1 += a[c] * w1[c];
        }
        acc0[i] = a0;
        acc1[i] = a1;
    }
}

/* Output channels oc, oc+1 of n output pixels: pixel i reads its kh * kw * in_c taps (a column)
 * at in + i * in_step, writes out + i * out_c. */
static void pw_pair(const rig_conv_params *p, int32_t oc, const int8_t *in, int32_t in_step, int8_t *out, int32_t n)
{
    const int32_t k_n = p->kh * p->kw * p->in_c, out_c = p->out_c;
    const int8_t *w0 = p->weights + oc * k_n, *w1 = w0 + k_n;
    const int32_t base0 = p->bias[oc] - p->in_zp * weight_sum(w0, k_n);
    const int32_t base1 = p->bias[oc + 1] - p->in_zp * weight_sum(w1, k_n);
    const dsp_rq q0 = dsp_rq_of(p->multiplier[oc], p->shift[oc]);
    const dsp_rq q1 = dsp_rq_of(p->multiplier[oc + 1], p->shift[oc + 1]);
    int32_t acc0[PW_CHUNK], acc1[PW_CHUNK];
    for (int32_t i = 0; i < n; i += PW_CHUNK) {
        const int32_t m = n - i < PW_CHUNK ? n - i : PW_CHUNK;
        pw_pair_acc(w0, w1, k_n, base0, base1, in + i * in_step, in_step, m, acc0, acc1);
        dsp_store(acc0, m, out + i * out_c, out_c, q0, p->out_zp, p->act_min, p->act_max);
        dsp_store(acc1, m, out + i * out_c + 1, out_c, q1, p->out_zp, p->act_min, p->act_max);
    }
}

/* The last output channel when out_c is odd, n pixels as in pw_pair. */
static void pw_single(const rig_conv_params *p, int32_t oc, const int8_t *in, int32_t in_step, int8_t *out, int32_t n)
{
    const int32_t k_n = p->kh * p->kw * p->in_c, out_c = p->out_c;
    const int8_t *w0 = p->weights + oc * k_n;
    const int32_t base0 = p->bias[oc] - p->in_zp * weight_sum(w0, k_n);
    const dsp_rq q0 = dsp_rq_of(p->multiplier[oc], p->shift[oc]);
    const int32_t k4 = k_n & ~3;
    int32_t acc[PW_CHUNK];
    for (int32_t i0 = 0; i0 < n; i0 += PW_CHUNK) {
        const int32_t m = n - i0 < PW_CHUNK ? n - i0 : PW_CHUNK;
        for (int32_t i = 0; i < m; i++) {
            const int8_t *a = in + (i0 + i) * in_step;
            int32_t a0 = base0;
            int32_t c = 0;
            for (; c < k4; c += 4) {
                uint32_t va = ld32(a + c), u = ld32(w0 + c);
                a0 = __smlad(sx02(va), sx02(u), a0);
                a0 = __smlad(sx13(va), sx13(u), a0);
            }
            for (; c < k_n; c++) a0 += a[c] * w0[c];
            acc[i] = a0;
        }
        dsp_store(acc, m, out + i0 * out_c, out_c, q0, p->out_zp, p->act_min, p->act_max);
    }
}

/* Every output channel of n pixels, two at a time: pixel i's column of taps at in + i * in_step,
 * its outputs at out + i * out_c. */
static void pair_columns(const rig_conv_params *p, const int8_t *in, int32_t in_step, int8_t *out, int32_t n)
{
    int32_t oc = 0;
    for (; oc + 2 <= p->out_c; oc += 2) pw_pair(p, oc, in, in_step, out + oc, n);
    if (oc < p->out_c) pw_single(p, oc, in, in_step, out + oc, n);
}

/* 1x1, no padding: output (y, x) reads input (y * stride, x * stride), always inside the view. A
 * run of pixels is a window row, or the whole window when its rows lie back to back in both
 * buffers; the GEMM path (g) widens each pixel's input channels straight from the input. */
static void conv_1x1(const rig_conv_params *p, gemm_ctx *g, const rig_window *win, const int8_t *in, int8_t *out)
{
    const rig_view iv = win->in, ov = win->out;
    const int32_t in_c = p->in_c, out_c = p->out_c, stride = p->stride;
    const int32_t w = win->x1 - win->x0;
    const int32_t in_step = stride * in_c;
    int32_t rows = win->y1 - win->y0, n = w;
    if (stride == 1 && w == iv.w && w == ov.w) {
        n = w * rows;
        rows = 1;
    }
    for (int32_t r = 0; r < rows; r++) {
        const int32_t oy = win->y0 + r;
        const int8_t *src = in + at(&iv, oy * stride, win->x0 * stride) * in_c;
        int8_t *dst = out + at(&ov, oy, win->x0) * out_c;
        if (!g) {
            pair_columns(p, src, in_step, dst, n);
            continue;
        }
        for (int32_t i0 = 0; i0 < n; i0 += g->chunk) {
            const int32_t m = n - i0 < g->chunk ? n - i0 : g->chunk;
            for (int32_t i = 0; i < m; i++) gemm_widen(src + (i0 + i) * in_step, in_c, (int8_t)p->in_zp, 1, gemm_slot(g, i), 2);
            gemm_multiply(p, g, dst + i0 * out_c, m);
        }
    }
}

/* Bytes of the stack buffer that holds the im2col columns of a run of output pixels (channel pairs). */
#define CONV_COLUMNS_BYTES 1024

/* n bytes from src to dst, a word at a time, then a halfword and a byte (unaligned accesses are
 * allowed). The empty asm hides the loop from the compiler, which would call memcpy for it: a
 * library call costs more than these few words. */
static inline void im2col_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    int32_t j = 0;
    for (; j + 4 <= n; j += 4) {
        uint32_t v = ld32(src + j);
        __asm__("" : "+r"(v));
        memcpy(dst + j, &v, 4);
    }
    if (n & 2) {
        uint16_t h;
        memcpy(&h, src + j, 2);
        memcpy(dst + j, &h, 2);
        j += 2;
    }
    if (n & 1) dst[j] = src[j];
}

/* n bytes of v at dst, as im2col_copy writes them (memset hidden the same way). */
static inline void im2col_fill(int8_t *dst, int8_t v, int32_t n)
{
    uint32_t v4 = (uint8_t)v * 0x01010101u;
    int32_t j = 0;
    for (; j + 4 <= n; j += 4) {
        __asm__("" : "+r"(v4));
        memcpy(dst + j, &v4, 4);
    }
    if (n & 2) {
        memcpy(dst + j, &v4, 2);
        j += 2;
    }
    if (n & 1) dst[j] = v;
}

/* Output pixel (oy, ox)'s column: its kh * kw * in_c taps in the weights' order, a row of kw taps
 * copied at once when it lies inside the input, padding taps holding the input zero point so that
 * they add nothing once the zero point is folded out, then the zero point up to a multiple of 4. */
static inline void im2col_column(const rig_conv_params *p, const rig_view *iv, const int8_t *in, int32_t oy, int32_t ox, int8_t *col)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, kh = p->kh, kw = p->kw, row = kw * in_c;
    const int32_t y0 = oy * p->stride - p->pad_top, x0 = ox * p->stride - p->pad_left, k_n = kh * row;
    const int8_t zp = (int8_t)p->in_zp;
    for (int32_t ky = 0; ky < kh; ky++, col += row) {
        const int32_t iy = y0 + ky;
        if (iy < 0 || iy >= in_h) {
            im2col_fill(col, zp, row);
        } else if (x0 >= 0 && x0 + kw <= in_w) {
            im2col_copy(col, in + at(iv, iy, x0) * in_c, row);
        } else {
            for (int32_t kx = 0; kx < kw; kx++) {
                const int32_t ix = x0 + kx;
                if (ix < 0 || ix >= in_w)
                    im2col_fill(col + kx * in_c, zp, in_c);
                else
                    im2col_copy(col + kx * in_c, in + at(iv, iy, ix) * in_c, in_c);
            }
        }
    }
    im2col_fill(col, zp, ((k_n + 3) & ~3) - k_n);
}

/* Any kernel: the columns of a run of output pixels of one row gathered (im2col), then multiplied
 * as a 1x1 convolution of the columns: the GEMM path (g) widens each column as it is gathered, the
 * channel pairs read the run's columns from `columns`. */
static void conv_im2col(const rig_conv_params *p, gemm_ctx *g, int8_t *columns, const rig_window *win, const int8_t *in, int8_t *out)
{
    const rig_view iv = win->in, ov = win->out;
    const int32_t kp = (p->kh * p->kw * p->in_c + 3) & ~3, out_c = p->out_c;
    const int32_t run_max = g ? g->chunk : CONV_COLUMNS_BYTES / kp;
    for (int32_t oy = win->y0; oy < win->y1; oy++) {
        for (int32_t ox0 = win->x0; ox0 < win->x1; ox0 += run_max) {
            const int32_t n = win->x1 - ox0 < run_max ? win->x1 - ox0 : run_max;
            int8_t *dst = out + at(&ov, oy, ox0) * out_c;
            if (g) {
                for (int32_t i = 0; i < n; i++) {
                    im2col_column(p, &iv, in, oy, ox0 + i, g->col);
                    gemm_widen(g->col, kp, (int8_t)p->in_zp, 1, gemm_slot(g, i), 2);
                }
                gemm_multiply(p, g, dst, n);
            } else {
                for (int32_t i = 0; i < n; i++) im2col_column(p, &iv, in, oy, ox0 + i, columns + i * kp);
                pair_columns(p, columns, kp, dst, n);
            }
        }
    }
}

/* A call by the GEMM path, and one by channel pairs: each holds its buffers only while it runs. */
__attribute__((noinline)) static void conv_gemm(const rig_conv_params *p, int pointwise, const rig_window *win, const int8_t *in, int8_t *out)
{
    gemm_ctx g;
    gemm_prepare(p, &g);
    if (pointwise)
        conv_1x1(p, &g, win, in, out);
    else
        conv_im2col(p, &g, NULL, win, in, out);
}

__attribute__((noinline)) static void conv_pairs(const rig_conv_params *p, int pointwise, const rig_window *win, const int8_t *in, int8_t *out)
{
    int8_t columns[CONV_COLUMNS_BYTES] __attribute__((aligned(4)));
    if (pointwise)
        conv_1x1(p, NULL, win, in, out);
    else
        conv_im2col(p, NULL, columns, win, in, out);
}

/* The reference kernel, word for word: accumulators the fast requantization does not cover, or
 * columns too long for the stack buffer. */
static void conv_reference(const rig_conv_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    const rig_view iv = win->in, ov = win->out;
    const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, out_c = p->out_c;
    const int32_t kh = p->kh, kw = p->kw, stride = p->stride;
    const int32_t in_zp = p->in_zp, out_zp = p->out_zp, act_min = p->act_min, act_max = p->act_max;
    for (int32_t oy = win->y0; oy < win->y1; oy++) {
        for (int32_t ox = win->x0; ox < win->x1; ox++) {
            const int32_t y0 = oy * stride - p->pad_top;
            const int32_t x0 = ox * stride - p->pad_left;
            int8_t *dst = out + at(&ov, oy, ox) * out_c;
            for (int32_t oc = 0; oc < out_c; oc++) {
                int32_t acc = p->bias[oc];
                const int8_t *w = p->weights + oc * kh * kw * in_c;
                for (int32_t ky = 0; ky < kh; ky++) {
                    const int32_t iy = y0 + ky;
                    if (iy < 0 || iy >= in_h) continue;
                    for (int32_t kx = 0; kx < kw; kx++) {
                        const int32_t ix = x0 + kx;
                        if (ix < 0 || ix >= in_w) continue;
                        const int8_t *src = in + at(&iv, iy, ix) * in_c;
                        const int8_t *wk = w + (ky * kw + kx) * in_c;
                        for (int32_t ic = 0; ic < in_c; ic++)
                            acc += ((int32_t)src[ic] - in_zp) * (int32_t)wk[ic];
                    }
                }
                int32_t v = rig_requantize(acc, p->multiplier[oc], p->shift[oc]) + out_zp;
                dst[oc] = clamp_s8(v, act_min, act_max);
            }
        }
    }
}

void rig_conv2d_s8(const rig_conv_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    const int32_t taps = (int32_t)p->kh * p->kw * p->in_c;
    const int pointwise = p->kh == 1 && p->kw == 1 && p->pad_top == 0 && p->pad_left == 0 && (p->out_h - 1) * p->stride < p->in_h &&
                          (p->out_w - 1) * p->stride < p->in_w;
    if (!dsp_rq_fits_all(p->bias, p->multiplier, p->shift, p->out_c, (uint32_t)taps) || (!pointwise && ((taps + 3) & ~3) > CONV_COLUMNS_BYTES))
        conv_reference(p, win, in, out);
    else if (gemm_fits(p, taps))
        conv_gemm(p, pointwise, win, in, out);
    else
        conv_pairs(p, pointwise, win, in, out);
}
