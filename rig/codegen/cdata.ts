// Helpers for the C an operator module emits: constant arrays and identifiers. Pure.
import type { Requant } from '../model/tensor.js';

/**
 * A constant array. `RIG_WEIGHTS` (model.c defines it) puts it in the section external flash
 * holds when the weights do not fit the internal flash, and is empty otherwise.
 */
export function cArray(type: string, name: string, values: ArrayLike<number>): string {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += 24) {
    lines.push('    ' + Array.from({ length: Math.min(24, values.length - i) }, (_, j) => values[i + j]).join(', ') + ',');
  }
  return `static const ${type} RIG_WEIGHTS ${name}[${values.length}] = {\n${lines.join('\n')}\n};\n`;
}

/** `<prefix>_bias`, `<prefix>_mult` and `<prefix>_shift`: one int32 per output channel. */
export function requantArrays(prefix: string, rq: Requant): string {
  return cArray('int32_t', `${prefix}_bias`, rq.bias) + cArray('int32_t', `${prefix}_mult`, rq.multiplier) + cArray('int32_t', `${prefix}_shift`, rq.shift);
}

export function cIdent(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** `static const <type> <name> = {` with one line of `.field = value,` per group of fields. */
export function cStruct(type: string, name: string, groups: readonly Readonly<Record<string, string | number>>[]): string {
  const body = groups
    .map(
      (fields) =>
        '    ' +
        Object.entries(fields)
          .map(([k, v]) => `.${k} = ${v},`)
          .join(' '),
    )
    .join('\n');
  return `static const ${type} ${name} = {\n${body}\n};\n`;
}

/** An op's int8 weights `<prefix>_w` and its per-channel requantization arrays. */
export function weightArrays(prefix: string, weights: Int8Array, rq: Requant): string {
  return cArray('int8_t', `${prefix}_w`, weights) + requantArrays(prefix, rq);
}

/** The fields every per-channel requantized op's parameter struct ends with: zero points, clamp, and its constant arrays. */
export function requantFields(prefix: string, inZp: number, outZp: number, rq: Requant): Readonly<Record<string, string | number>>[] {
  return [
    { in_zp: inZp, out_zp: outZp, act_min: rq.actMin, act_max: rq.actMax },
    { weights: `${prefix}_w`, bias: `${prefix}_bias`, multiplier: `${prefix}_mult`, shift: `${prefix}_shift` },
  ];
}
