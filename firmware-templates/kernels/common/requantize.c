/* Requantization for every kernel variant; see rig_kernels.h. The reference kernels call their
 * own copy (requantize in rig_kernel_util.h), which compiles to the same instructions. */
#include "rig_kernel_util.h"

int32_t rig_requantize(int32_t acc, int32_t multiplier, int32_t shift)
{
    return requantize_inline(acc, multiplier, shift);
}
