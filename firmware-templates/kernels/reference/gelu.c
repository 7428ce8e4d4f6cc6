/* Operator gelu, and any other 256-entry table, reference kernel; see rig_kernels.h. */
#include "rig_kernel_util.h"

void rig_lut_s8(const rig_lut_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    const int32_t c_n = p->c;
    for (int32_t y = win->y0; y < win->y1; y++) {
        for (int32_t x = win->x0; x < win->x1; x++) {
            const int8_t *pi = in + at(&win->in, y, x) * c_n;
            int8_t *po = out + at(&win->out, y, x) * c_n;
            for (int32_t c = 0; c < c_n; c++) po[c] = p->table[pi[c] + 128];
        }
    }
}
