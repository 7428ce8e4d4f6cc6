/* The plan's copy primitive (input loads and halo copies), shared by every kernel variant; see
 * rig_kernels.h. */
#include <string.h>
#include "rig_kernel_util.h"

void rig_copy_s8(const rig_window *win, uint16_t c, const int8_t *in, int8_t *out)
{
    const uint32_t row = (uint32_t)(win->x1 - win->x0) * c;
    for (int32_t y = win->y0; y < win->y1; y++)
        memcpy(out + at(&win->out, y, win->x0) * c, in + at(&win->in, y, win->x0) * c, row);
}
