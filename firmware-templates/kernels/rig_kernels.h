/* rig int8 kernel library: reference kernels, bit-exact with rig's TypeScript interpreter
 * (rig/model/reference.ts) and with TFLite Micro's reference int8 kernels' arithmetic.
 * Layout is HWC; weights are [out][kh][kw][in] for convolutions, [kh][kw][c] for depthwise,
 * [out][in] for fully connected. Requantization is per output channel. */
#ifndef RIG_KERNELS_H
#define RIG_KERNELS_H

#include <stdint.h>

typedef struct {
    uint16_t in_h, in_w, in_c;
    uint16_t out_h, out_w, out_c;
    uint8_t kh, kw, stride, pad_top, pad_left;
    int32_t in_zp, out_zp;
    int32_t act_min, act_max;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *multiplier;
    const int32_t *shift;
} rig_conv_params;

typedef struct {
    uint16_t in_h, in_w, c;
    int32_t act_min, act_max;
} rig_pool_params;

typedef struct {
    uint32_t in_n;
    uint16_t out_n;
    int32_t in_zp, out_zp;
    int32_t act_min, act_max;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *multiplier;
    const int32_t *shift;
} rig_fc_params;

typedef struct {
    uint32_t n;
    int32_t in1_zp, in2_zp, out_zp;
    int32_t left_shift;
    int32_t in1_mult, in1_shift, in2_mult, in2_shift, out_mult, out_shift;
    int32_t act_min, act_max;
} rig_add_params;

/* The name of the kernel variant compiled in; stored with every result. */
#define RIG_KERNEL_VARIANT "reference"

void rig_conv2d_s8(const rig_conv_params *p, const int8_t *in, int8_t *out);
void rig_dwconv2d_s8(const rig_conv_params *p, const int8_t *in, int8_t *out);
/* Depthwise convolution whose output overwrites its input (same base address): one channel at a
 * time, that channel's input plane is first copied to `scratch` (in_h * in_w bytes). Output
 * (y, x, c) only ever lands on a byte that held channel c, which is already in the scratch. */
void rig_dwconv2d_s8_inplace(const rig_conv_params *p, int8_t *data, int8_t *scratch);
/* Element-wise; `out` may be `a` or `b`. */
void rig_add_s8(const rig_add_params *p, const int8_t *a, const int8_t *b, int8_t *out);
void rig_avgpool_global_s8(const rig_pool_params *p, const int8_t *in, int8_t *out);
void rig_fc_s8(const rig_fc_params *p, const int8_t *in, int8_t *out);

int32_t rig_requantize(int32_t acc, int32_t multiplier, int32_t shift);

#endif
