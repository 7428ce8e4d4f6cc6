// Per-layer and whole-network figures of a model under the layer-wise schedule, each named for
// what it is. Analytic: derived from the architecture and the plan, nothing measured.
import { hasTokenOperators, opMacs, opParams, opWeightBytes, tensorBytes, type Model, type Op } from '../model/ir.js';
import { opModule } from '../ops/registry.js';
import { opSteps, type Plan } from './plan.js';

export interface LayerFigures {
  readonly name: string;
  readonly kind: Op['kind'];
  readonly block: number;
  readonly outputShape: readonly number[];
  readonly macs: number;
  readonly params: number;
  readonly weightBytes: number;
  /** Input(s) + output bytes of this layer alone. */
  readonly activationBytes: number;
  readonly inPlace: boolean;
}

export interface ModelFigures {
  readonly model: string;
  readonly input: readonly number[];
  readonly layers: readonly LayerFigures[];
  readonly macs: number;
  /** PyTorch count: conv weights + BatchNorm γ, β per channel + FC weights and bias. */
  readonly params: number;
  /** Constant data in flash: int8 weights, int32 bias, multiplier and shift per channel, and the benchmark input. */
  readonly weightBytes: number;
  /**
   * MCUNet / MCUNetV2's metric: the largest input + output of one layer in int8 bytes, depthwise
   * counted in place (the larger of its input and output); residual adds are not layers here.
   */
  readonly paperPeakBytes: number | null;
  /** The arena the firmware allocates: lifetimes, residuals kept alive, in-place ops, scratch. */
  readonly arenaPeakBytes: number;
}

function layerBytes(model: Model, op: Op): number {
  return [...op.inputs, op.output].reduce((sum, t) => sum + tensorBytes(model.tensors[t]!), 0);
}

/**
 * One layer in MCUNetV2's metric from its input and output bytes (its module says how: a
 * depthwise convolution counted in place); null where the metric counts no layer (a residual add).
 */
export function layerPaperBytes(op: Op, inputBytes: readonly number[], outBytes: number): number | null {
  return opModule(op).paperLayerBytes(op, inputBytes, outBytes);
}

export function paperPeakBytes(model: Model): number {
  let peak = 0;
  for (const op of model.ops) {
    const bytes = layerPaperBytes(
      op,
      op.inputs.map((t) => tensorBytes(model.tensors[t]!)),
      tensorBytes(model.tensors[op.output]!),
    );
    if (bytes !== null) peak = Math.max(peak, bytes);
  }
  return peak;
}

/**
 * msf-CNN's layer-wise peak in its own metric: the largest input + output of one layer in int8
 * bytes, depthwise not in place, the network input left out of the first layer.
 */
export function msfPeakBytes(model: Model): number {
  const bytes = (t: number) => (t === model.input ? 0 : tensorBytes(model.tensors[t]!));
  return Math.max(...model.ops.map((op) => op.inputs.reduce((s, t) => s + bytes(t), bytes(op.output))));
}

export function analyze(plan: Plan): ModelFigures {
  const model = plan.model;
  const layers = model.ops.map((op, i) => ({
    name: op.name,
    kind: op.kind,
    block: op.block,
    outputShape: [...model.tensors[op.output]!.shape],
    macs: opMacs(model, op),
    params: opParams(op),
    weightBytes: opWeightBytes(op),
    activationBytes: layerBytes(model, op),
    inPlace: opSteps(plan).some((s) => s.op === i && s.inPlace),
  }));
  const sum = (f: (l: LayerFigures) => number) => layers.reduce((s, l) => s + f(l), 0);
  return {
    model: model.name,
    input: [...model.tensors[model.input]!.shape],
    layers,
    macs: sum((l) => l.macs),
    params: sum((l) => l.params),
    weightBytes: sum((l) => l.weightBytes) + tensorBytes(model.tensors[model.input]!),
    // MCUNet's metric counts convolutional layers; no paper defines it for a transformer.
    paperPeakBytes: hasTokenOperators(model) ? null : paperPeakBytes(model),
    arenaPeakBytes: plan.arenaBytes,
  };
}
