/* Operator dwconv2d, dsp kernels (plain and in place); see rig_kernels.h. Four channels at a time,
 * straight from the HWC tensor: one word load fetches a pixel of the four, SXTB16 splits it into
 * the halfword pairs (c0, c2) and (c1, c3), and SMLABB/SMLATT multiply them by the same split of
 * the four weights of the tap, prepared once per call with the requantization's left shift applied.
 * Output columns split into the interior (every tap of a kernel row inside the tensor), where the
 * input zero point leaves the loop (sum((x - z) w) = sum(x w) - z sum(w) over the rows inside),
 * and the border, where taps are clipped and the zero point subtracted per tap. The four results
 * are requantized, packed and clamped as one word and stored at once. In place, a group's outputs
 * wait in a ring in the scratch until the input pixels they overwrite are read for the last time.
 * The channels past the last multiple of four, and those whose requantization the fast path does
 * not cover, take the reference kernel's loop. */
#include <stddef.h>
#include "rig_dsp_arith.h"

#define DW_MAX_K 7
#define DW_ALWAYS static inline __attribute__((always_inline))

/* One channel's requantization for accumulators already shifted left by left1 (the weights and
 * bias are), with the output zero point folded into the rounding term: dsp_requantize's
 * (x + rnd + sign) >> right, plus out_zp, is (x + rnd + (out_zp << right) + sign) >> right, and
 * SMMLAR adds that term to the product. The sign may be the accumulator's rather than x's: they
 * differ only when x is 0, where subtracting 1 before the shift (right >= 1) leaves the result. */
typedef struct {
    int32_t mult, rnd, neg, right;
} dw_rq;

/* A group of four channels, prepared once per call: per tap the weights split as (w0, w2) and
 * (w1, w3), per channel the bias, requantization, and the cumulative sums of its kernel rows. */
typedef struct {
    int32_t w[DW_MAX_K * DW_MAX_K][2];
    int32_t cum[DW_MAX_K + 1][4];
    int32_t bias[4];
    dw_rq q[4];
    uint32_t lo4, hi4; /* the act bounds, a byte each lane: right after q, where dw_store4 reads them */
} dw_group;

_Static_assert(offsetof(dw_group, lo4) == offsetof(dw_group, q) + sizeof(dw_rq[4]), "dw_store4 reads the bounds past q");

/* The layer-wide part of a call: shape, the input zero point as a halfword pair, and the
 * interior output columns [xa, xb) (every tap of a kernel row inside the tensor). */
typedef struct {
    const rig_conv_params *p;
    const rig_window *win;
    int32_t step, pitch, xa, xb;
    uint32_t zp2;
} dw_call;

static dw_call dw_call_of(const rig_conv_params *p, const rig_window *win)
{
    const int32_t stride = p->stride, pl = p->pad_left, kw = p->kw, in_w = p->in_w;
    dw_call k;
    k.p = p;
    k.win = win;
    k.step = p->out_c;
    k.pitch = win->in.w * p->out_c;
    k.xa = (pl + stride - 1) / stride;
    k.xb = in_w + pl - kw >= 0 ? (in_w + pl - kw) / stride + 1 : 0;
    if (k.xb < k.xa) k.xb = k.xa;
    k.zp2 = 0x00010001u * (uint16_t)p->in_zp;
    return k;
}

/* Whether channels c .. c+3 take the fast path, and if so their group prepared in g. */
static int dw_group_of(const rig_conv_params *p, int32_t c, dw_group *g)
{
    const int32_t kh = p->kh, kw = p->kw, c_n = p->out_c;
    int32_t left1[4];
    for (int32_t i = 0; i < 4; i++) {
        const int32_t shift = p->shift[c + i], mult = p->multiplier[c + i];
        const dsp_rq q = dsp_rq_of(mult, shift);
        /* Weights shifted by left1 stay within halfwords; out_zp << right stays below 2^29, so
         * that the rounding sum stays below 2^31; the accumulator's sign is x's (or x is 0). A
         * multiplier of 0 gives out_zp whatever the accumulator (dsp_rq_of). */
        if (!dsp_rq_fits(p->bias[c + i], mult, shift, (uint32_t)kh * kw) || q.left1 > 8 || q.right > 22 || mult < 0) return 0;
        g->q[i] = (dw_rq){mult, q.rnd + p->out_zp * (1 << q.right), q.neg, q.right};
        left1[i] = q.left1;
        g->bias[i] = (int32_t)((uint32_t)p->bias[c + i] << q.left1);
        g->cum[0][i] = 0;
    }
    g->lo4 = 0x01010101u * (uint8_t)p->act_min;
    g->hi4 = 0x01010101u * (uint8_t)p->act_max;
    for (int32_t ky = 0; ky < kh; ky++) {
        for (int32_t i = 0; i < 4; i++) g->cum[ky + 1][i] = g->cum[ky][i];
        for (int32_t kx = 0; kx < kw; kx++) {
            const int8_t *w = p->weights + (ky * kw + kx) * c_n + c;
            int32_t s[4];
            for (int32_t i = 0; i < 4; i++) {
                s[i] = w[i] * (1 << left1[i]);
                g->cum[ky + 1][i] += s[i];
            }
            g->w[ky * kw + kx][0] = (int32_t)((uint32_t)s[2] << 16 | ((uint32_t)s[0] & 0xffffu));
            g->w[ky * kw + kx][1] = (int32_t)((uint32_t)s[3] << 16 | ((uint32_t)s[1] & 0xffffu));
        }
    }
    return 1;
}

/* Stores a word at any address (STR: unaligned stores are allowed on the M4 and M7). */
static inline void st32(int8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* One lane of dw_store4: lane i's accumulator in a, its dw_rq loaded at once (LDM) from q. */
#define DW_RQ_LANE(a)                            \
    "ldm %[q]!, {%[m], %[r], %[n], %[s]}\n\t"    \
    "and %[n], %[n], " a ", asr #31\n\t"         \
    "add %[r], %[r], %[n]\n\t"                   \
    "smmlar " a ", " a ", %[m], %[r]\n\t"        \
    "asr " a ", " a ", %[s]\n\t"                 \
    "ssat " a ", #8, " a "\n\t"

/* Requantizes the four accumulators of a group's output pixel, clamps them and stores the four
 * bytes at out: per lane SMMLAR(acc, mult, rnd + (sign & neg)) >> right, saturated to a byte; the
 * bytes packed into one word and clamped to the act bounds four at a time (SSUB8 sets the GE flags
 * SEL reads). One block, for GCC would otherwise load each field alone; LDM needs its registers in
 * ascending order, hence the fixed ones. */
DW_ALWAYS void dw_store4(int32_t a0, int32_t a1, int32_t a2, int32_t a3, const dw_group *g, int8_t *out)
{
    register int32_t m __asm__("r8"), r __asm__("r9"), n __asm__("r10"), s __asm__("r11");
    const dw_rq *q = g->q;
    __asm__ volatile(DW_RQ_LANE("%[a0]") DW_RQ_LANE("%[a1]") DW_RQ_LANE("%[a2]") DW_RQ_LANE("%[a3]")
            "bfi %[a0], %[a1], #8, #8\n\t"
            "bfi %[a0], %[a2], #16, #8\n\t"
            "bfi %[a0], %[a3], #24, #8\n\t"
            "ldrd %[m], %[r], [%[q]]\n\t"
            "ssub8 %[n], %[a0], %[m]\n\t"
            "sel %[a0], %[a0], %[m]\n\t"
            "ssub8 %[n], %[a0], %[r]\n\t"
            "sel %[a0], %[r], %[a0]\n\t"
            "str %[a0], [%[out]]"
            : [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3), [m] "=&r"(m), [r] "=&r"(r), [n] "=&r"(n), [s] "=&r"(s), [q] "+&r"(q)
            : [out] "r"(out)
            : "cc", "memory");
}

/* The four channels' products over kernel rows [0, rows) and columns [0, K) added to a0 .. a3: x at
 * the first tap, w its weights, w_pitch taps from one kernel row's weights to the next; with
 * sub_zp the zero point pair zp2 subtracted from each tap first (x - z fits a halfword). A kernel
 * row is unrolled where K is a constant. */
#define DW_ACC(x, rows, w, w_pitch, sub_zp, zp2, a0, a1, a2, a3)                                     \
    do {                                                                                             \
        const int8_t *r_ = (x);                                                                      \
        const int32_t(*wr_)[2] = (w);                                                                \
        for (int32_t ky_ = 0; ky_ < (rows); ky_++) {                                                 \
            const int8_t *c_ = r_;                                                                   \
            _Pragma("GCC unroll 7") for (int32_t kx_ = 0; kx_ < K; kx_++, c_ += step) {              \
                const uint32_t v_ = ld32(c_);                                                        \
                int32_t e_ = sx02(v_), o_ = sx13(v_);                                                \
                if (sub_zp) {                                                                        \
                    e_ = (int32_t)__ssub16((uint32_t)e_, (zp2));                                     \
                    o_ = (int32_t)__ssub16((uint32_t)o_, (zp2));                                     \
                }                                                                                    \
                a0 = __smlabb(e_, wr_[kx_][0], a0);                                                  \
                a2 = __smlatt(e_, wr_[kx_][0], a2);                                                  \
                a1 = __smlabb(o_, wr_[kx_][1], a1);                                                  \
                a3 = __smlatt(o_, wr_[kx_][1], a3);                                                  \
            }                                                                                        \
            r_ += pitch;                                                                             \
            wr_ += (w_pitch);                                                                        \
        }                                                                                            \
    } while (0)

/* One tap in dw_acc3x3: the word at `addr`, its weights at byte offset `off` of w. */
#define DW_TAP3(addr, off)                           \
    "ldr %[e], " addr "\n\t"                         \
    "ldrd %[wa], %[wb], [%[w], #" off "]\n\t"        \
    "sxtb16 %[o], %[e], ror #8\n\t"                  \
    "sxtb16 %[e], %[e]\n\t"                          \
    "smlabb %[a0], %[e], %[wa], %[a0]\n\t"           \
    "smlatt %[a2], %[e], %[wa], %[a2]\n\t"           \
    "smlabb %[a1], %[o], %[wb], %[a1]\n\t"           \
    "smlatt %[a3], %[o], %[wb], %[a3]\n\t"
#define DW_ROW3(ky) \
    DW_TAP3("[%[x]]", #ky "*24") DW_TAP3("[%[x], %[s]]", #ky "*24+8") DW_TAP3("[%[x], %[s], lsl #1]", #ky "*24+16") "add %[x], %[x], %[p]\n\t"

/* DW_ACC for a whole 3x3 kernel, written out: GCC, short of registers, reloads the weights'
 * address and the steps from the stack otherwise. */
DW_ALWAYS void dw_acc3x3(const int8_t *x, int32_t step, int32_t pitch, const int32_t (*w)[2], int32_t *a0, int32_t *a1, int32_t *a2, int32_t *a3)
{
    int32_t e, o, wa, wb;
    __asm__(DW_ROW3(0) DW_ROW3(1) DW_ROW3(2)
            : [a0] "+r"(*a0), [a1] "+r"(*a1), [a2] "+r"(*a2), [a3] "+r"(*a3), [x] "+r"(x), [e] "=&r"(e), [o] "=&r"(o), [wa] "=&r"(wa), [wb] "=&r"(wb)
            : [s] "r"(step), [p] "r"(pitch), [w] "r"(w)
            : "memory");
}

/* Interior outputs of one row of a group, kw = K columns (a constant where inlined) and `rows`
 * kernel rows, n of them, the first with tap (0, 0) of its first kernel row inside the tensor at x;
 * w the weights of that first row; base the accumulators' start; out gets each output's four
 * bytes, out_step apart. */
DW_ALWAYS void dw_interior(const dw_call *k, const dw_group *g, int32_t K, const int8_t *x, int32_t rows, const int32_t (*w)[2], const int32_t base[4], int32_t n, int8_t *out, int32_t out_step)
{
    const int32_t step = k->step, pitch = k->pitch, xstep = k->p->stride * step;
    for (int8_t *const end = out + n * out_step; out != end; x += xstep, out += out_step) {
        int32_t a0 = base[0], a1 = base[1], a2 = base[2], a3 = base[3];
        if (K == 3 && rows == 3)
            dw_acc3x3(x, step, pitch, w, &a0, &a1, &a2, &a3);
        else
            DW_ACC(x, rows, w, K, 0, 0, a0, a1, a2, a3);
        dw_store4(a0, a1, a2, a3, g, out);
    }
}

/* dw_interior with the kernel width a constant for the widths MobileNets use. */
__attribute__((noinline)) static void dw_interior_any(const dw_call *k, const dw_group *g, const int8_t *x, int32_t rows, const int32_t (*w)[2], const int32_t base[4], int32_t n, int8_t *out, int32_t out_step)
{
    switch (k->p->kw) {
    case 3:
        dw_interior(k, g, 3, x, rows, w, base, n, out, out_step);
        break;
    case 5:
        dw_interior(k, g, 5, x, rows, w, base, n, out, out_step);
        break;
    case 7:
        dw_interior(k, g, 7, x, rows, w, base, n, out, out_step);
        break;
    default:
        dw_interior(k, g, k->p->kw, x, rows, w, base, n, out, out_step);
    }
}

/* A border output of a group: K columns (a constant where inlined) of `rows` kernel rows, x at
 * the first tap inside and w its weights, the zero point subtracted per tap. */
DW_ALWAYS void dw_border(const dw_call *k, const dw_group *g, int32_t K, const int8_t *x, int32_t rows, const int32_t (*w)[2], int8_t *out)
{
    const int32_t step = k->step, pitch = k->pitch;
    int32_t a0 = g->bias[0], a1 = g->bias[1], a2 = g->bias[2], a3 = g->bias[3];
    DW_ACC(x, rows, w, k->p->kw, 1, k->zp2, a0, a1, a2, a3);
    dw_store4(a0, a1, a2, a3, g, out);
}

/* dw_border with the columns inside a constant. */
__attribute__((noinline)) static void dw_border_any(const dw_call *k, const dw_group *g, int32_t cols, const int8_t *x, int32_t rows, const int32_t (*w)[2], int8_t *out)
{
    switch (cols) {
    case 1:
        dw_border(k, g, 1, x, rows, w, out);
        break;
    case 2:
        dw_border(k, g, 2, x, rows, w, out);
        break;
    case 3:
        dw_border(k, g, 3, x, rows, w, out);
        break;
    case 4:
        dw_border(k, g, 4, x, rows, w, out);
        break;
    case 5:
        dw_border(k, g, 5, x, rows, w, out);
        break;
    case 6:
        dw_border(k, g, 6, x, rows, w, out);
        break;
    default:
        dw_border(k, g, cols, x, rows, w, out);
    }
}

/* Output row oy, columns [xs, xe), of the group whose channels start at in (a pointer into the
 * input view's buffer at channel c); output (oy, ox)'s four bytes go to out + (ox - xs) * out_step. */
static void dw_group_row(const dw_call *k, const dw_group *g, const int8_t *in, int32_t oy, int32_t xs, int32_t xe, int8_t *out, int32_t out_step)
{
    const rig_conv_params *p = k->p;
    const rig_view iv = k->win->in;
    const int32_t kh = p->kh, stride = p->stride, pl = p->pad_left, in_w = p->in_w, step = k->step, pitch = k->pitch;
    const int32_t y0 = oy * stride - p->pad_top;
    const int32_t ky0 = y0 < 0 ? -y0 : 0, ky1 = y0 + kh > p->in_h ? (p->in_h - y0 > ky0 ? p->in_h - y0 : ky0) : kh;
    /* Tap (0, 0) of output (oy, ox) is at row + (ox * stride - pl) * step, maybe outside the buffer. */
    const int8_t *row = in + (y0 - iv.y0) * pitch - iv.x0 * step;
    int32_t base[4];
    for (int32_t i = 0; i < 4; i++) base[i] = g->bias[i] - p->in_zp * (g->cum[ky1][i] - g->cum[ky0][i]);
    const int32_t xa = k->xa > xs ? (k->xa < xe ? k->xa : xe) : xs, xb = k->xb < xe ? (k->xb > xa ? k->xb : xa) : xe;
    for (int32_t ox = xs; ox < xe; ox++) {
        const int32_t ix = ox * stride - pl;
        if (ox == xa && xb > xa) {
            dw_interior_any(k, g, row + ky0 * pitch + ix * step, ky1 - ky0, &g->w[ky0 * p->kw], base, xb - xa, out + (ox - xs) * out_step, out_step);
            ox = xb - 1;
            continue;
        }
        const int32_t kx0 = ix < 0 ? -ix : 0, kx1 = ix + p->kw > in_w ? in_w - ix : p->kw;
        dw_border_any(k, g, kx1 - kx0, row + ky0 * pitch + (ix + kx0) * step, ky1 - ky0, &g->w[ky0 * p->kw + kx0], out + (ox - xs) * out_step);
    }
}

/* The reference kernel's channel loop, for channels the fast path does not cover. Input pixel
 * (y, x) of the channel is src[at(in, y, x) * src_step], output pixel (y, x) goes to
 * out[at(out, y, x) * c_n]. */
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

/* The groups of four channels the fast path covers (kernels up to DW_MAX_K). */
static int32_t dw_groups(const rig_conv_params *p)
{
    return p->kh > DW_MAX_K || p->kw > DW_MAX_K ? 0 : p->out_c / 4;
}

void rig_dwconv2d_s8(const rig_conv_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    const dw_call k = dw_call_of(p, win);
    const int32_t c_n = p->out_c, groups = dw_groups(p);
    dw_group g;
    int32_t c = 0;
    for (; c < 4 * groups; c += 4) {
        if (!dw_group_of(p, c, &g)) {
            for (int32_t i = c; i < c + 4; i++) dw_channel_reference(p, win, i, in + i, c_n, out + i);
            continue;
        }
        for (int32_t oy = win->y0; oy < win->y1; oy++)
            dw_group_row(&k, &g, in + c, oy, win->x0, win->x1, out + at(&win->out, oy, win->x0) * c_n + c, c_n);
    }
    for (; c < c_n; c++) dw_channel_reference(p, win, c, in + c, c_n, out + c);
}

/* In place, output (oy, ox) of a group overwrites the group's bytes of the input pixel whose index
 * in the input buffer is the output's index in the output buffer. Outputs are computed in window
 * order and held back in a ring until no output still to compute reads the pixel they overwrite:
 * the largest such distance, in outputs of the window, is returned. Between two wraps of that
 * input pixel to the next buffer row, the distance does not grow (the output moves one column, the
 * last reader at most one), so it is taken at each output row's start and at every wrap. */
static int32_t dw_delay(const rig_conv_params *p, const rig_window *win)
{
    const rig_view iv = win->in, ov = win->out;
    const int32_t s = p->stride, ww = win->x1 - win->x0, in_pixels = (int32_t)iv.h * iv.w;
    int32_t d = 0;
    for (int32_t oy = win->y0; oy < win->y1; oy++) {
        const int32_t k0 = at(&ov, oy, win->x0);
        for (int32_t ox = win->x0; ox < win->x1;) {
            const int32_t k = k0 + ox - win->x0;
            if (k >= in_pixels) break;
            const int32_t iy = iv.y0 + k / iv.w, ix = iv.x0 + k % iv.w;
            /* The last reader in window order is at most (rr, rc). */
            int32_t rr = (iy + p->pad_top) / s, rc = (ix + p->pad_left) / s;
            rr = rr < win->y1 - 1 ? rr : win->y1 - 1;
            rc = rc < win->x1 - 1 ? rc : win->x1 - 1;
            const int32_t later = (rr - win->y0) * ww + rc - win->x0 - ((oy - win->y0) * ww + ox - win->x0);
            d = later > d ? later : d;
            ox += iv.w - k % iv.w;
        }
    }
    return d;
}

/* Channel c in place, through a copy of its input plane. */
static void dw_channel_inplace(const rig_conv_params *p, const rig_window *win, int32_t c, int8_t *data, int8_t *scratch)
{
    const int32_t c_n = p->out_c, pixels = (int32_t)win->in.h * win->in.w;
    for (int32_t i = 0; i < pixels; i++) scratch[i] = data[i * c_n + c];
    dw_channel_reference(p, win, c, scratch, 1, data + c);
}

void rig_dwconv2d_s8_inplace(const rig_conv_params *p, const rig_window *win, int8_t *data, int8_t *scratch)
{
    const dw_call k = dw_call_of(p, win);
    const rig_view ov = win->out;
    const int32_t c_n = p->out_c, pixels = (int32_t)win->in.h * win->in.w;
    /* The ring's slots run down from the scratch's end, so that its last byte is written, as the
     * planned arena (measured on the device) expects. */
    const int32_t slots = pixels / 4, delay = dw_delay(p, win), groups = delay < slots ? dw_groups(p) : 0;
    int8_t *const ring = scratch + pixels - 4;
    dw_group g;
    int32_t c = 0;
    for (; c < 4 * groups; c += 4) {
        if (!dw_group_of(p, c, &g)) {
            for (int32_t i = c; i < c + 4; i++) dw_channel_inplace(p, win, i, data, scratch);
            continue;
        }
        /* Computed and flushed outputs, in window order; the next to flush is (fy, fx), held in
         * slot `slot`, going to `to`. */
        int32_t done = 0, flushed = 0, slot = 0, fy = win->y0, fx = win->x0;
        int8_t *to = data + at(&ov, fy, fx) * c_n + c;
        for (int32_t oy = win->y0; oy < win->y1; oy++) {
            for (int32_t ox = win->x0; ox < win->x1;) {
                const int32_t at_slot = done % slots, room = slots - (done - flushed);
                int32_t n = win->x1 - ox;
                n = n < room ? n : room;
                n = n < slots - at_slot ? n : slots - at_slot;
                dw_group_row(&k, &g, data + c, oy, ox, ox + n, ring - 4 * at_slot, -4);
                done += n;
                ox += n;
                const int32_t until = oy == win->y1 - 1 && ox == win->x1 ? done : done - delay;
                while (flushed < until) {
                    /* A run within one output row and one pass over the ring. */
                    int32_t run = until - flushed;
                    run = run < win->x1 - fx ? run : win->x1 - fx;
                    run = run < slots - slot ? run : slots - slot;
                    const int8_t *from = ring - 4 * slot;
                    for (int32_t i = 0; i < run; i++, from -= 4, to += c_n) st32(to, ld32(from));
                    flushed += run;
                    slot = slot + run == slots ? 0 : slot + run;
                    fx += run;
                    if (fx == win->x1) {
                        fx = win->x0;
                        to = data + at(&ov, ++fy, fx) * c_n + c;
                    }
                }
            }
        }
    }
    for (; c < c_n; c++) dw_channel_inplace(p, win, c, data, scratch);
}
