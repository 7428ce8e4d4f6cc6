/* Operator embed (a patch grid as tokens), dsp kernel; see rig_kernels.h. Four bytes at a time,
 * each patch byte plus its position saturated to int8 by QADD8 (that is the clamp). In place, patch
 * byte k lands on byte d + k: going backwards, each word is loaded before its sum is stored, and
 * stores land above every byte still to be read. */
#include "rig_dsp_arith.h"

void rig_embed_s8(const rig_embed_params *p, const int8_t *in, int8_t *out)
{
    const int32_t d = p->d;
    int32_t k = (int32_t)p->patches * d;
    int8_t *dst = out + d;
    for (; k >= 4; k -= 4) {
        const uint32_t v = (uint32_t)__qadd8((int8x4_t)ld32(in + k - 4), (int8x4_t)ld32(p->position + k - 4));
        memcpy(dst + k - 4, &v, 4);
    }
    for (k--; k >= 0; k--) dst[k] = clamp_s8((int32_t)in[k] + p->position[k], -128, 127);
    for (int32_t c = 0; c < d; c++) out[c] = p->class_token[c];
}
