/* Operator token (one token of a token matrix), dsp kernel: the reference code (a copy of one
 * token); see rig_kernels.h. */
#include "rig_dsp_arith.h"

void rig_token_s8(const rig_token_params *p, const int8_t *in, int8_t *out)
{
    const int8_t *src = in + (int32_t)p->index * p->d;
    for (int32_t c = 0; c < p->d; c++) out[c] = src[c];
}
