// The reference interpreter: plain TypeScript over the IR, written for clarity, not speed. The
// device's output CRC must equal the CRC of what this computes.
import { tensorBytes, type Model, type Op, type Requant } from './ir.js';
import { clamp, multiplyByQuantizedMultiplier } from './quant.js';

function requantize(acc: number, rq: Requant, channel: number, outZp: number): number {
  // `| 0` wraps like the C kernels' int32 accumulator would.
  const scaled = multiplyByQuantizedMultiplier(acc | 0, rq.multiplier[channel]!, rq.shift[channel]!);
  return clamp(scaled + outZp, rq.actMin, rq.actMax);
}

function runAdd(model: Model, op: Extract<Op, { kind: 'add' }>, a: Int8Array, b: Int8Array): Int8Array {
  const zpA = model.tensors[op.input]!.zeroPoint;
  const zpB = model.tensors[op.input2]!.zeroPoint;
  const outZp = model.tensors[op.output]!.zeroPoint;
  const out = new Int8Array(a.length);
  const lift = 1 << op.leftShift;
  for (let i = 0; i < a.length; i++) {
    const sa = multiplyByQuantizedMultiplier((a[i]! - zpA) * lift, op.scale1.multiplier, op.scale1.shift);
    const sb = multiplyByQuantizedMultiplier((b[i]! - zpB) * lift, op.scale2.multiplier, op.scale2.shift);
    const sum = multiplyByQuantizedMultiplier(sa + sb, op.outScale.multiplier, op.outScale.shift);
    out[i] = clamp(sum + outZp, op.actMin, op.actMax);
  }
  return out;
}

function runOp(model: Model, op: Op, values: Map<number, Int8Array>): Int8Array {
  const outT = model.tensors[op.output]!;
  const out = new Int8Array(tensorBytes(outT));
  const inT = model.tensors[op.input]!;
  const input = values.get(op.input);
  if (input === undefined) throw new Error(`reference: ${op.name} reads ${inT.name} before it is computed`);
  const [inH, inW, inC] = inT.shape;
  const [outH, outW, outC] = outT.shape;
  const inZp = inT.zeroPoint;
  switch (op.kind) {
    case 'add': {
      const b = values.get(op.input2);
      if (b === undefined) throw new Error(`reference: ${op.name} reads tensor ${op.input2} before it is computed`);
      return runAdd(model, op, input, b);
    }
    case 'conv2d': {
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++)
          for (let oc = 0; oc < outC; oc++) {
            let acc = op.requant.bias[oc]!;
            for (let ky = 0; ky < op.kh; ky++) {
              const iy = oy * op.stride - op.padTop + ky;
              if (iy < 0 || iy >= inH) continue;
              for (let kx = 0; kx < op.kw; kx++) {
                const ix = ox * op.stride - op.padLeft + kx;
                if (ix < 0 || ix >= inW) continue;
                const inBase = (iy * inW + ix) * inC;
                const wBase = ((oc * op.kh + ky) * op.kw + kx) * inC;
                for (let ic = 0; ic < inC; ic++) acc += (input[inBase + ic]! - inZp) * op.weights[wBase + ic]!;
              }
            }
            out[(oy * outW + ox) * outC + oc] = requantize(acc, op.requant, oc, outT.zeroPoint);
          }
      return out;
    }
    case 'dwconv2d': {
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++)
          for (let c = 0; c < outC; c++) {
            let acc = op.requant.bias[c]!;
            for (let ky = 0; ky < op.kh; ky++) {
              const iy = oy * op.stride - op.padTop + ky;
              if (iy < 0 || iy >= inH) continue;
              for (let kx = 0; kx < op.kw; kx++) {
                const ix = ox * op.stride - op.padLeft + kx;
                if (ix < 0 || ix >= inW) continue;
                acc += (input[(iy * inW + ix) * inC + c]! - inZp) * op.weights[(ky * op.kw + kx) * outC + c]!;
              }
            }
            out[(oy * outW + ox) * outC + c] = requantize(acc, op.requant, c, outT.zeroPoint);
          }
      return out;
    }
    case 'avgpool': {
      const count = inH * inW;
      for (let c = 0; c < inC; c++) {
        let acc = 0;
        for (let i = 0; i < count; i++) acc += input[i * inC + c]!;
        // TFLite rounds half away from zero, with C's truncating division.
        const avg = acc > 0 ? Math.trunc((acc + Math.trunc(count / 2)) / count) : Math.trunc((acc - Math.trunc(count / 2)) / count);
        out[c] = clamp(avg, op.actMin, op.actMax);
      }
      return out;
    }
    case 'fc': {
      const n = input.length;
      for (let o = 0; o < outC; o++) {
        let acc = op.requant.bias[o]!;
        const wBase = o * n;
        for (let i = 0; i < n; i++) acc += (input[i]! - inZp) * op.weights[wBase + i]!;
        out[o] = requantize(acc, op.requant, o, outT.zeroPoint);
      }
      return out;
    }
  }
}

/** Runs the whole model on `input` (default: the model's own seeded input); returns every tensor. */
export function interpret(model: Model, input: Int8Array = model.inputData): Map<number, Int8Array> {
  const values = new Map<number, Int8Array>([[model.input, input]]);
  for (const op of model.ops) values.set(op.output, runOp(model, op, values));
  return values;
}

export function referenceOutput(model: Model, input?: Int8Array): Int8Array {
  return interpret(model, input).get(model.output)!;
}
