/* Operator avgpool2d (k×k average pool), reference kernel; see rig_kernels.h. */
#include "rig_kernel_util.h"

void rig_avgpool2d_s8(const rig_pool2d_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, c_n = p->c, kh = p->kh, kw = p->kw;
    for (int32_t oy = win->y0; oy < win->y1; oy++) {
        for (int32_t ox = win->x0; ox < win->x1; ox++) {
            /* The taps inside the input: only they are summed and counted. */
            const int32_t y0 = oy * p->stride - p->pad_top, x0 = ox * p->stride - p->pad_left;
            const int32_t ky0 = y0 < 0 ? -y0 : 0, ky1 = kh < in_h - y0 ? kh : in_h - y0;
            const int32_t kx0 = x0 < 0 ? -x0 : 0, kx1 = kw < in_w - x0 ? kw : in_w - x0;
            const int32_t count = (ky1 - ky0) * (kx1 - kx0);
            int8_t *po = out + at(&win->out, oy, ox) * c_n;
            for (int32_t c = 0; c < c_n; c++) {
                int32_t acc = 0;
                for (int32_t ky = ky0; ky < ky1; ky++)
                    for (int32_t kx = kx0; kx < kx1; kx++) acc += in[at(&win->in, y0 + ky, x0 + kx) * c_n + c];
                const int32_t avg = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                po[c] = clamp_s8(avg, p->act_min, p->act_max);
            }
        }
    }
}
