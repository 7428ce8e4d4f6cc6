// The kernel variants' benchmark (scripts/bench-kernels.sh; a benchmark, not a test): seven
// MobileNetV2-style layers, each alone as a one-block model run layer-wise in QEMU, under every
// kernel variant, in emulated instructions per MAC with the input copy taken out; then whole
// networks layer-wise, everything included.
//
// Every inference starts by copying its input from flash into the arena, and the timed count
// includes it. The copy of an H×W×C input is measured with the same input and an identity I, a
// 1×1 depthwise convolution with weight 1, bias 0 and scale 1, which keeps shape and data:
// T(input → I) = copy + I and T(input → I → I) = copy + 2·I (both I see the same bytes, so they
// take the same branches), so copy = 2·T(input → I) − T(input → I → I), the copy of the very
// bytes and rows the layer's image copies. A layer's count is its measured count less that copy.
import { join, relative } from 'node:path';
import { REFERENCE_KERNELS, kernelVariants } from '../compile/kernels.js';
import { loadBoard, type Board } from '../config/board.js';
import { loadModel } from '../config/model.js';
import { DEFAULTS } from '../defaults.js';
import { createQemuRunner } from '../deploy/qemu.js';
import { modelMacs, type Model } from '../model/ir.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec, type ModelSpecInput } from '../model/spec.js';
import type { ResultRow } from '../results/row.js';
import { formatInt } from '../util/format.js';
import { mapConcurrently } from '../util/concurrency.js';
import { ROOT } from '../util/paths.js';
import { benchCase, planFor } from './bench.js';

type Block = ModelSpecInput['blocks'][number];

/** One layer: its label, input shape and block. */
interface Layer {
  label: string;
  input: [number, number, number];
  block: Block;
}

/** MobileNetV2's layer kinds at the sizes the MCUNet networks run them. */
export const LAYERS: readonly Layer[] = [
  { label: 'pointwise 1×1 28×28×32→192', input: [28, 28, 32], block: { type: 'conv2d', out: 192, k: 1, act: 'relu6' } },
  { label: 'pointwise 1×1 14×14×96→24', input: [14, 14, 96], block: { type: 'conv2d', out: 24, k: 1, act: 'none' } },
  { label: 'pointwise 1×1 56×56×24→144', input: [56, 56, 24], block: { type: 'conv2d', out: 144, k: 1, act: 'relu6' } },
  { label: 'depthwise 3×3 s1 28×28×192', input: [28, 28, 192], block: { type: 'dwconv2d', k: 3, stride: 1, act: 'relu6' } },
  { label: 'depthwise 3×3 s2 56×56×144→28×28', input: [56, 56, 144], block: { type: 'dwconv2d', k: 3, stride: 2, act: 'relu6' } },
  { label: 'depthwise 7×7 s1 14×14×96', input: [14, 14, 96], block: { type: 'dwconv2d', k: 7, stride: 1, act: 'relu6' } },
  { label: 'stem 3×3 s2 96×96×3→48×48×16', input: [96, 96, 3], block: { type: 'conv2d', out: 16, k: 3, stride: 2, act: 'relu6' } },
];

/** Whole networks, layer-wise, input copy included. */
export const NETWORKS = ['mcunet-in0', 'mcunet-vww1'];

/** The emulator-only board with the mps2-an500's whole RAM: two of the layers need more than an F746's 320 KB. */
export const BIG_RAM_BOARD = join(ROOT, 'scripts', 'f746-qemu-bigram.json');

const SEED = DEFAULTS.seed;

function model(name: string, input: [number, number, number], blocks: Block[]): Model {
  const spec: ModelSpecInput = { name, input, blocks };
  return lowerModel(parseModelSpec(spec, name), SEED);
}

/** `depth` identities on an input of `shape`: 1×1 depthwise convolutions whose output equals their input. */
function identities(name: string, shape: [number, number, number], depth: number): Model {
  const m = model(
    name,
    shape,
    Array.from({ length: depth }, () => ({ type: 'dwconv2d', k: 1, act: 'none' }) as const),
  );
  const zeroPoint = m.tensors[m.input]!.zeroPoint;
  const c = shape[2];
  return {
    ...m,
    tensors: m.tensors.map((t) => ({ ...t, zeroPoint })),
    ops: m.ops.map((op) => ({
      ...op,
      weights: new Int8Array(c).fill(1),
      // acc · 2 · 2^30 / 2^31 = acc: a scale of 1 as a Q31 multiplier and a left shift.
      requant: { bias: new Int32Array(c), multiplier: new Int32Array(c).fill(2 ** 30), shift: new Int32Array(c).fill(1), actMin: -128, actMax: 127 },
    })),
  };
}

const slug = (label: string) => label.replace(/[^A-Za-z0-9]+/g, '-').replace(/-$/, '');

/** The instructions of one layer-wise inference; throws when the case is not ok (a count of a wrong output means nothing). */
async function instructions(board: Board, kernels: string, m: Model): Promise<number> {
  const row: Omit<ResultRow, 'runId'> = await benchCase(
    {
      runner: createQemuRunner(board),
      seed: SEED,
      warmup: 0,
      runs: 1,
      inferenceTimeoutMs: DEFAULTS.inferenceTimeoutMs,
      kernels,
      buildRoot: join(DEFAULTS.buildDir, 'bench-kernels'),
    },
    planFor({ model: m, schedule: 'layer' }),
  );
  if (row.status !== 'ok' || row.latency === null) throw new Error(`${m.name} with kernels ${kernels}: ${row.status}: ${row.detail}`);
  return row.latency.median;
}

const ratio = (a: number, b: number) => (a / b).toFixed(2);

export async function benchKernels(variants: readonly string[], out: (line: string) => void): Promise<void> {
  const big = await loadBoard(BIG_RAM_BOARD);
  const f746 = await loadBoard(DEFAULTS.board);

  // The input copy of each layer, with the reference kernels (the copy is common/'s rig_copy_s8 in every variant).
  const copies = await mapConcurrently(LAYERS, 2, async (l) => {
    const once = await instructions(big, REFERENCE_KERNELS, identities(`copy-${slug(l.label)}-1`, l.input, 1));
    const twice = await instructions(big, REFERENCE_KERNELS, identities(`copy-${slug(l.label)}-2`, l.input, 2));
    return 2 * once - twice;
  });

  const layerCases = variants.flatMap((kernels) => LAYERS.map((layer, i) => ({ kernels, layer, i })));
  const measured = await mapConcurrently(layerCases, 2, async ({ kernels, layer }) => {
    const m = model(slug(layer.label), layer.input, [layer.block]);
    return { macs: modelMacs(m), all: await instructions(big, kernels, m) };
  });

  const headers = ['layer', 'MACs', 'instructions', 'instructions/MAC', 'variant', 'measured', 'input copy'];
  const cells = layerCases.map(({ kernels, layer, i }, j) => {
    const { macs, all } = measured[j]!;
    const net = all - copies[i]!;
    return [layer.label, formatInt(macs), formatInt(net), ratio(net, macs), kernels, formatInt(all), formatInt(copies[i]!)];
  });
  const widths = headers.map((h, c) => Math.max(h.length, ...cells.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, c) => (c === 0 || c === 4 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  out(line(headers));
  out(line(widths.map((w) => '-'.repeat(w))));
  for (const r of cells) out(line(r));
  out('');
  out(
    `instructions: emulated, of one inference of the layer alone (a one-block model, layer-wise) on ${big.id} (${relative(ROOT, big.file)}), less its input copy;`,
  );
  out('measured: the same count with the copy; input copy: 2·T(input → I) − T(input → I → I), I a 1×1 depthwise convolution that leaves its input as it is.');
  for (const kernels of variants) {
    const mine = layerCases.flatMap((c, j) => (c.kernels === kernels ? [{ ...measured[j]!, copy: copies[c.i]! }] : []));
    const total = mine.reduce((s, c) => s + c.all - c.copy, 0);
    const macs = mine.reduce((s, c) => s + c.macs, 0);
    out(`overall ${kernels} ${ratio(total, macs)} instructions/MAC`);
  }

  out('');
  const networkCases = variants.flatMap((kernels) => NETWORKS.map((name) => ({ kernels, name })));
  const networks = await mapConcurrently(networkCases, 2, async ({ kernels, name }) => {
    const m = await loadModel(name, SEED);
    return { macs: modelMacs(m), all: await instructions(f746, kernels, m) };
  });
  for (const [j, { kernels, name }] of networkCases.entries()) {
    const { macs, all } = networks[j]!;
    out(
      `network ${name} ${kernels} ${ratio(all, macs)} instructions/MAC (${formatInt(all)} instructions, ${formatInt(macs)} MACs; layer-wise on ${f746.id}, input copy included)`,
    );
  }
}

/** `node dist/rig/bench/kernels-bench.js [VARIANT ...]`: every variant when none is named. */
async function main(args: readonly string[]): Promise<number> {
  const known = kernelVariants();
  const unknown = args.filter((a) => !known.includes(a));
  if (unknown.length > 0) {
    process.stderr.write(`bench-kernels: unknown kernel variant ${unknown.join(', ')}: the variants are ${known.join(', ')}\n`);
    return 2;
  }
  await benchKernels(args.length > 0 ? args : known, (l) => process.stdout.write(l + '\n'));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`bench-kernels: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
