/* Operator embed (a patch grid as tokens), reference kernel; see rig_kernels.h. In place, patch
 * byte k lands on byte d + k: going backwards, every byte is read before anything lands on it. */
#include "rig_kernel_util.h"

void rig_embed_s8(const rig_embed_params *p, const int8_t *in, int8_t *out)
{
    const int32_t d = p->d;
    for (int32_t k = (int32_t)p->patches * d - 1; k >= 0; k--) out[d + k] = clamp_s8((int32_t)in[k] + p->position[k], -128, 127);
    for (int32_t c = 0; c < d; c++) out[c] = p->class_token[c];
}
