/* Operator avgpool2d (k×k average pool), dsp kernel: the reference kernel itself for now; see
 * rig_kernels.h. */
#include "reference/avgpool2d.c"
