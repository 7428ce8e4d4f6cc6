import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../schedule/analysis.js';
import { planLayerwise } from '../schedule/layerwise.js';
import { lowerModel } from './lower.js';
import { PUBLISHED } from './published.js';
import { parseModelSpec } from './spec.js';
import { BUILTIN_MODELS } from './zoo.js';

const figures = new Map([...BUILTIN_MODELS].map(([name, spec]) => [name, analyze(planLayerwise(lowerModel(parseModelSpec(spec, name), 1)))]));

test('every zoo network is built in', () => {
  for (const name of [
    'mcunet-in0',
    'mcunet-in1',
    'mcunet-in2',
    'mcunet-in3',
    'mcunet-in4',
    'mcunet-vww0',
    'mcunet-vww1',
    'mcunet-vww2',
    'mbv2-w0.35',
    'proxyless-w0.3',
    'mbv2-w1.0-r224',
    'msf-mbv2-w0.35-r144',
    'msf-vww-5fps-r80',
    'msf-mcunet-320kb-r176',
  ]) {
    assert.ok(figures.has(name), name);
  }
});

test('MACs and params are within 2% of the published tables', () => {
  for (const [name, p] of PUBLISHED) {
    const f = figures.get(name)!;
    if (p.macs !== undefined) assert.ok(Math.abs(f.macs - p.macs) / p.macs < 0.02, `${name}: ${f.macs} MACs vs ${p.macs}`);
    if (p.params !== undefined) assert.ok(Math.abs(f.params - p.params) / p.params < 0.02, `${name}: ${f.params} params vs ${p.params}`);
  }
});

test('exact counts: the MCUNet zoo, MobileNetV2 and the msf-CNN networks', () => {
  const exact: [string, number][] = [
    ['mbv2-w0.35', 23_499_152],
    ['proxyless-w0.3', 38_282_216],
    ['mcunet-in0', 6_364_224],
    ['mcunet-in1', 12_790_096],
    ['mcunet-in2', 67_287_200],
    ['mcunet-in3', 81_785_520],
    ['mcunet-in4', 125_874_400],
    ['mcunet-vww0', 5_958_400],
    ['mcunet-vww1', 11_578_816],
    ['mcunet-vww2', 55_771_280],
    ['mbv2-w1.0-r224', 300_774_272],
    ['msf-mbv2-w0.35-r144', 18_909_490],
    ['msf-vww-5fps-r80', 11_578_496],
    ['msf-mcunet-320kb-r176', 81_625_520],
  ];
  for (const [name, macs] of exact) assert.equal(figures.get(name)!.macs, macs, name);
  // PyTorch parameter counts published with the zoo.
  assert.equal(figures.get('mbv2-w0.35')!.params, 750_280);
  assert.equal(figures.get('mcunet-in1')!.params, 636_232);
  assert.equal(figures.get('mcunet-vww1')!.params, 432_746);
});

test('MobileNetV2 (MCUNetV2 Table 1): paper-metric peak 1,404,928 B at the first 1×1 expand', () => {
  const f = figures.get('mbv2-w1.0-r224')!;
  assert.equal(f.paperPeakBytes, 1_404_928);
  const peakLayer = f.layers.find((l) => l.kind === 'conv2d' && l.activationBytes === 1_404_928)!;
  assert.equal(peakLayer.name, 'b2_expand');
});

test("the real layer-wise plan of mcunet-vww1 beats TinyEngine's 93,992 B", () => {
  const f = figures.get('mcunet-vww1')!;
  assert.ok(f.arenaPeakBytes < 93_992, `${f.arenaPeakBytes} B`);
  assert.ok(f.arenaPeakBytes >= f.paperPeakBytes!);
});
