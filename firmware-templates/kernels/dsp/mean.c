/* Operator mean (over rows and columns, requantized), dsp kernel: the reference kernel itself for
 * now; see rig_kernels.h. */
#include "reference/mean.c"
