// gelu: GELU on int8 as a 256-entry table, out = table[x + 128]. An int8 input has 256 values, so
// the table built from the real function at the model's scales (`geluTable`: each entry the
// correctly rounded quantized GELU of its input) is exact, not an approximation of one. Element-wise:
// tiled schedules may cut it into regions, and under token overwriting it writes over its input.
// C kernel: rig_lut_s8 (any 256-entry table).
import { cArray, cStruct } from '../codegen/cdata.js';
import { clamp } from '../model/quant.js';
import type { OpBase } from '../model/tensor.js';
import { WEIGHTLESS } from './common.js';
import type { OpModule } from './contract.js';

export interface GeluOp extends OpBase {
  readonly kind: 'gelu';
  /** The output for each input value: entry i is GELU of input value i − 128. */
  readonly table: Int8Array;
}

/** GELU(x) = x·Φ(x), with Φ from erf (Abramowitz–Stegun 7.1.26 is not exact enough: this uses a series to 1e-15). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

function erf(x: number): number {
  // Taylor series for |x| < 3, continued fraction beyond: both far below an int8 step.
  const a = Math.abs(x);
  let r: number;
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(a) = exp(-a²)/(a√π) · 1/(1 + 1/(2a²)/(1 + 2/(2a²)/(1 + …)))
    let f = 0;
    for (let n = 60; n >= 1; n--) f = n / 2 / (a * a) / (1 + f);
    r = 1 - Math.exp(-a * a) / (a * Math.sqrt(Math.PI)) / (1 + f);
  }
  return x < 0 ? -r : r;
}

/** The exact table of GELU from input (scale, zero point) to output (scale, zero point). */
export function geluTable(inScale: number, inZp: number, outScale: number, outZp: number): Int8Array {
  const table = new Int8Array(256);
  for (let i = 0; i < 256; i++) table[i] = clamp(outZp + Math.round(gelu((i - 128 - inZp) * inScale) / outScale), -128, 127);
  return table;
}

function reference(op: GeluOp, [input]: readonly Int8Array[]): Int8Array {
  return input!.map((v) => op.table[v + 128]!);
}

export const geluOp: OpModule<GeluOp> = {
  kind: 'gelu',
  summary: 'GELU on int8 by its exact 256-entry table; element-wise',
  outputShape: (_op, [input]) => input!,
  check: (op) => {
    const problems: string[] = [];
    if (op.inputs.length !== 1) problems.push(`inputs: expected 1 tensor, found ${op.inputs.length}`);
    if (op.table.length !== 256) problems.push(`table: expected 256 values, found ${op.table.length}`);
    return problems;
  },
  ...WEIGHTLESS,
  weightBytes: () => 256,
  paperLayerBytes: (_op, [inBytes], outBytes) => Math.max(inBytes!, outBytes),
  overwrites: [0],
  tokenOverwriting: true,
  wholeTensor: null,
  inputSpan: (_op, _k, _axis, out) => out,
  reference,
  emit: (op, tensors, prefix) => ({
    data:
      cArray('int8_t', `${prefix}_table`, op.table) +
      cStruct('rig_lut_params', `${prefix}_p`, [{ c: tensors[op.inputs[0]!]!.shape[2], table: `${prefix}_table` }]),
    call: (s) => `rig_lut_s8(&${prefix}_p, ${s.window}, ${s.inputs[0]}, ${s.output});`,
  }),
};
