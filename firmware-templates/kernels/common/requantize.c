/* Requantization for every kernel variant; see rig_kernels.h. Kept out of line, as the compiler
 * placed it when every kernel was in one file: the reference kernels' instruction counts are the
 * record that later variants are measured against. */
#include "rig_kernel_util.h"

__attribute__((noinline)) int32_t rig_requantize(int32_t acc, int32_t multiplier, int32_t shift)
{
    return requantize_inline(acc, multiplier, shift);
}
