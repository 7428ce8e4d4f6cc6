/* rig int8 kernel contract: the parameter structs and every kernel's signature. Each variant
 * (a folder beside this header: reference/, and optimized ones) implements every kernel below
 * but rig_requantize and rig_copy_s8, which common/ provides to all of them; the build compiles
 * common/ and exactly one variant, chosen by name (-DRIG_KERNEL_VARIANT="<name>"), as one
 * translation unit, and a variant that lacks a kernel the model calls fails to link: there is no
 * fallback to another variant. A variant must be bit-exact with reference/, which is bit-exact with
 * the operators' TypeScript reference implementations (rig/ops/<kind>.ts) and with TFLite Micro's
 * reference int8 kernels' arithmetic.
 *
 * Layout is HWC; weights are [out][kh][kw][in] for convolutions, [kh][kw][c] for depthwise,
 * [out][in] for fully connected. Requantization is per output channel.
 *
 * Convolutions and adds work on regions: a buffer holds a rectangle of its tensor (a rig_view,
 * row-major HWC over the rectangle), and a call computes one rectangle of the output. Taps that
 * fall outside the whole input tensor are the layer-wise zero padding; taps inside it must lie in
 * the input view. A layer-wise call is the special case where every view is the whole tensor. */
#ifndef RIG_KERNELS_H
#define RIG_KERNELS_H

#include <stdint.h>

/* A convolution, plain or depthwise (in_c == out_c). */
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

/* Rows y0 .. y0+h-1 and columns x0 .. x0+w-1 of a tensor, held row-major from the buffer's start. */
typedef struct {
    uint16_t y0, x0, h, w;
} rig_view;

/* One call: the views of its input(s) and output buffers, and the output rows [y0, y1) and
 * columns [x0, x1) to compute (tensor coordinates, inside the output view). */
typedef struct {
    rig_view in, in2, out;
    uint16_t y0, y1, x0, x1;
} rig_window;

typedef struct {
    uint16_t in_h, in_w, c;
    int32_t act_min, act_max;
} rig_pool_params;

/* A k×k window moved by `stride` over an in_h×in_w×c tensor, with pad_top rows and pad_left
 * columns of padding before it (the padding after only sets out_h and out_w). */
typedef struct {
    uint16_t in_h, in_w, c;
    uint16_t out_h, out_w;
    uint8_t kh, kw, stride, pad_top, pad_left;
    int32_t act_min, act_max;
} rig_pool2d_params;

/* A mean over in_h×in_w pixels requantized from in_zp to out_zp: multiplier and shift fold in
 * 1/(in_h·in_w) (TFLite's int8 MEAN). */
typedef struct {
    uint16_t in_h, in_w, c;
    int32_t in_zp, out_zp;
    int32_t multiplier, shift;
} rig_mean_params;

/* TFLite's int8 softmax over c channels: beta · input scale as a Q31 multiplier and a left shift
 * (0 to 31) onto Q5.26 differences, and the most negative difference that still counts. */
typedef struct {
    uint16_t c;
    int32_t input_multiplier, input_left_shift, diff_min;
    /* exp of the difference -k from the pixel's maximum, k = 0 .. 255, in Q0.31, 0 below diff_min:
     * the values the reference kernel computes (kernels may look them up instead). */
    const int32_t *exp_table;
} rig_softmax_params;

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
    uint16_t c;
    int32_t in1_zp, in2_zp, out_zp;
    int32_t left_shift;
    int32_t in1_mult, in1_shift, in2_mult, in2_shift, out_mult, out_shift;
    int32_t act_min, act_max;
} rig_add_params;

/* Attention scores Q·K^T of a token matrix [tokens][c] (head h's query at q_offset + h·head_dim,
 * its key at k_offset + h·head_dim), both less in_zp, requantized by multiplier and shift. */
typedef struct {
    uint16_t tokens, c, heads, head_dim, q_offset, k_offset;
    int32_t in_zp, out_zp, multiplier, shift;
} rig_scores_params;

/* Attention probabilities [tokens][heads][tokens] (less p_zp) times the values of a token matrix
 * [tokens][c] (head h's at v_offset + h·head_dim, less v_zp), requantized by multiplier and shift. */
typedef struct {
    uint16_t tokens, c, heads, head_dim, v_offset;
    int32_t p_zp, v_zp, out_zp, multiplier, shift;
} rig_context_params;

/* A patch grid as tokens: `patches` tokens of d channels after the class token, each plus its
 * position (both [patches][d]). */
typedef struct {
    uint16_t patches, d;
    const int8_t *class_token;
    const int8_t *position;
} rig_embed_params;

/* Token `index` of a token matrix of d channels. */
typedef struct {
    uint16_t index, d;
} rig_token_params;
/* A fully connected layer applied to every token (pixel): weights [out_c][in_c]. */
typedef struct {
    uint16_t in_c, out_c;
    int32_t in_zp, out_zp;
    int32_t act_min, act_max;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *multiplier;
    const int32_t *shift;
} rig_linear_params;

/* LayerNorm over the c channels of each token in integers (rig/ops/layernorm.ts): `weights` is
 * γ, `bias` β, requantized per channel from the Q12 normalized value times γ plus β. */
typedef struct {
    uint16_t c;
    int32_t in_zp, out_zp;
    int32_t act_min, act_max;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *multiplier;
    const int32_t *shift;
} rig_layernorm_params;

/* A 256-entry table over c channels: out = table[in + 128]. */
typedef struct {
    uint16_t c;
    const int8_t *table;
} rig_lut_params;

/* Operator conv2d (<variant>/conv2d.c): output pixels of the window, every output channel. */
void rig_conv2d_s8(const rig_conv_params *p, const rig_window *win, const int8_t *in, int8_t *out);
/* Operator dwconv2d (<variant>/dwconv2d.c): output pixels of the window, every channel. */
void rig_dwconv2d_s8(const rig_conv_params *p, const rig_window *win, const int8_t *in, int8_t *out);
/* Depthwise convolution whose output overwrites its input (same base address; the views may
 * differ): one channel at a time, that channel's input plane (in.h * in.w bytes) is first copied
 * to `scratch`. Output (y, x, c) only ever lands on a byte that held channel c (both views
 * interleave the same channels), which is already in the scratch. (<variant>/dwconv2d.c) */
void rig_dwconv2d_s8_inplace(const rig_conv_params *p, const rig_window *win, int8_t *data, int8_t *scratch);
/* Operator add (<variant>/add.c): element-wise over the window; `out` may be `a` or `b` when the
 * output view lies inside that input's view (each output byte is then written at or below the
 * input byte just read). */
void rig_add_s8(const rig_add_params *p, const rig_window *win, const int8_t *a, const int8_t *b, int8_t *out);
/* Operator avgpool (<variant>/avgpool.c): the mean of each channel over the whole input, rounded
 * half away from zero; whole tensors, no window. */
void rig_avgpool_global_s8(const rig_pool_params *p, const int8_t *in, int8_t *out);
/* Operator avgpool2d (<variant>/avgpool2d.c): output pixels of the window, every channel; each the
 * mean of its taps inside the input (padding taps are not counted), rounded half away from zero. */
void rig_avgpool2d_s8(const rig_pool2d_params *p, const rig_window *win, const int8_t *in, int8_t *out);
/* Operator mean (<variant>/mean.c): each channel's mean over the whole input, requantized; whole
 * tensors, no window. */
void rig_mean_s8(const rig_mean_params *p, const int8_t *in, int8_t *out);
/* Operator softmax (<variant>/softmax.c): each pixel of the window over its c channels, out at
 * scale 1/256 and zero point -128; `out` may be `in` when the output view lies inside the input
 * view (a pixel's outputs are written after its inputs are read, each at or below its input). */
void rig_softmax_s8(const rig_softmax_params *p, const rig_window *win, const int8_t *in, int8_t *out);
/* Operator fc (<variant>/fc.c): fully connected over the whole (flattened) input; no window. */
void rig_fc_s8(const rig_fc_params *p, const int8_t *in, int8_t *out);
/* Operator scores (<variant>/scores.c): output rows [y0, y1) (query tokens) and columns [x0, x1)
 * (heads) of the window, every key token as a channel; `qkv` is read whole (view in). */
void rig_scores_s8(const rig_scores_params *p, const rig_window *win, const int8_t *qkv, int8_t *out);
/* Operator context (<variant>/context.c): output rows [y0, y1) of the window (tokens), every head's
 * channels; `probs` holds those rows, every head (view in), `qkv` is read whole (view in2). */
void rig_context_s8(const rig_context_params *p, const rig_window *win, const int8_t *probs, const int8_t *qkv, int8_t *out);
/* Operator embed (<variant>/embed.c): whole tensors, no window; `out` may be `in` (token 1 + i
 * lands on patch i + 1's bytes: the kernel goes backwards, last patch first, the class token last). */
void rig_embed_s8(const rig_embed_params *p, const int8_t *in, int8_t *out);
/* Operator token (<variant>/token.c): copies one token; whole tensors, no window. */
void rig_token_s8(const rig_token_params *p, const int8_t *in, int8_t *out);
/* Operator linear (<variant>/linear.c): the window's tokens (pixels), every output channel, each
 * from the same pixel of the input. `scratch` is NULL, or, when the output overwrites the input
 * (in == out, the same view), in_c bytes: each token is copied there before its outputs are
 * written, tokens in ascending order when out_c <= in_c and descending when out_c > in_c, so that
 * a token's outputs only land on input tokens already consumed. */
void rig_linear_s8(const rig_linear_params *p, const rig_window *win, const int8_t *in, int8_t *out, int8_t *scratch);
/* Operator layernorm (<variant>/layernorm.c): each token (pixel) of the window over its c
 * channels; `out` may be `in` (the same view): a token's outputs are written after its inputs have
 * been read for its sums, each computed from its own input byte again before that byte is written. */
void rig_layernorm_s8(const rig_layernorm_params *p, const rig_window *win, const int8_t *in, int8_t *out);
/* Operator gelu (<variant>/gelu.c), and any other 256-entry table: element-wise over the window;
 * `out` may be `in` when the output view lies inside the input view. */
void rig_lut_s8(const rig_lut_params *p, const rig_window *win, const int8_t *in, int8_t *out);

/* Plan primitive (common/copy.c), not an operator: copies the window's rectangle of a c-channel
 * tensor from the `in` view to the `out` view. */
void rig_copy_s8(const rig_window *win, uint16_t c, const int8_t *in, int8_t *out);

/* common/requantize.c: TFLite's MultiplyByQuantizedMultiplier, acc * multiplier * 2^shift with
 * the multiplier a Q31 fraction, rounded as gemmlowp rounds. */
int32_t rig_requantize(int32_t acc, int32_t multiplier, int32_t shift);

#endif
