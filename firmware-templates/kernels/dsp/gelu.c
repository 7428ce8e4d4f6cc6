/* Operator gelu, and any other 256-entry table, dsp kernel; see rig_kernels.h. A window row is one
 * run of bytes in both buffers (the whole window when its rows lie back to back in both), looked up
 * four bytes a word: each word is read before it is written back, at or below where it was read. */
#include "rig_dsp_arith.h"

__attribute__((noinline)) static void lut_run(const int8_t *table, const int8_t *in, int8_t *out, int32_t n)
{
    /* t[x] is table[x + 128] for an int8 x. */
    const int8_t *t = table + 128;
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32_t v = ld32(in + i);
        const uint32_t r = (uint32_t)(uint8_t)t[(int8_t)v] | (uint32_t)(uint8_t)t[(int8_t)(v >> 8)] << 8 | (uint32_t)(uint8_t)t[(int8_t)(v >> 16)] << 16 |
                           (uint32_t)(uint8_t)t[(int8_t)(v >> 24)] << 24;
        memcpy(out + i, &r, 4);
    }
    for (; i < n; i++) out[i] = t[in[i]];
}

void rig_lut_s8(const rig_lut_params *p, const rig_window *win, const int8_t *in, int8_t *out)
{
    const int32_t c_n = p->c, w = win->x1 - win->x0;
    int32_t rows = win->y1 - win->y0, n = w * c_n;
    if (w == win->in.w && w == win->out.w) {
        n *= rows;
        rows = rows > 0 ? 1 : 0;
    }
    for (int32_t r = 0; r < rows; r++) {
        const int32_t y = win->y0 + r;
        lut_run(p->table, in + at(&win->in, y, win->x0) * c_n, out + at(&win->out, y, win->x0) * c_n, n);
    }
}
