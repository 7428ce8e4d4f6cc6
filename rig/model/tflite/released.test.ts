// The released int8 TFLite files of the MCUNet zoo (and MLPerf Tiny's anomaly-detection model),
// when a copy is at hand (RIG_TFLITE_MODELS, default /work/shared/models/tflite): each imports;
// each MCUNet file's layer-wise plan has its zoo twin's blocks, shapes and MACs; and rig's
// reference interpreter gives TFLite's reference kernels' output, as recorded in
// testdata/released.json with scripts/tflite-expected.py.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModel } from '../../config/model.js';
import { planLayerwise } from '../../schedule/layerwise.js';
import { crc32 } from '../../util/crc32.js';
import { ROOT } from '../../util/paths.js';
import { opMacs, type Model } from '../ir.js';
import { RELEASED_TFLITE } from '../published.js';
import { referenceOutput } from '../reference.js';

const DIR = process.env.RIG_TFLITE_MODELS ?? '/work/shared/models/tflite';
const skip = existsSync(DIR) ? false : `the released TFLite files are not at ${DIR} (set RIG_TFLITE_MODELS to their folder)`;

const recorded = JSON.parse(readFileSync(join(ROOT, 'rig', 'model', 'tflite', 'testdata', 'released.json'), 'utf8')) as {
  seed: number;
  files: Record<string, { inputCrc32: number; outputCrc32: number }>;
};

/** Each MCUNet file and the built-in network it is. */
const ZOO_TWINS: Readonly<Record<string, string>> = Object.fromEntries([...RELEASED_TFLITE].map(([twin, file]) => [file, twin]));

/** Per op: block, output shape and MACs; the kind too, but a classifier may be a 1×1 conv2d in one and fc in the other. */
const layers = (model: Model) =>
  model.ops.map((op) => ({
    block: op.block,
    shape: model.tensors[op.output]!.shape.join('×'),
    macs: opMacs(model, op),
    kind: op.kind === 'fc' ? 'conv2d' : op.kind,
  }));

test("each MCUNet file's layer-wise plan has its zoo twin's blocks, shapes and MACs", { skip }, async () => {
  for (const [file, twin] of Object.entries(ZOO_TWINS)) {
    const model = await loadModel(join(DIR, file), 1);
    const zoo = await loadModel(twin, 1);
    assert.equal(model.name, file.replace(/\.tflite$/, ''));
    assert.deepEqual(layers(model), layers(zoo), `${file} against ${twin}`);
    assert.equal(planLayerwise(model).macs, planLayerwise(zoo).macs, file);
    assert.deepEqual(model.tensors[model.input]!.shape, zoo.tensors[zoo.input]!.shape, file);
  }
});

test("every released file's reference output is TFLite's (reference kernels, rig's seeded input)", { skip }, async () => {
  for (const [file, expected] of Object.entries(recorded.files)) {
    const model = await loadModel(join(DIR, file), recorded.seed);
    assert.equal(crc32(model.inputData), expected.inputCrc32, `${file}: input`);
    assert.equal(crc32(referenceOutput(model)), expected.outputCrc32, `${file}: output`);
  }
});
