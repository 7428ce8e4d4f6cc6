import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { rigCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-plan-'));
const rig = (args: string[]) => rigCli(args, dir);

test('rig plan --json gives MobileNetV2 its 1,404,928 B paper-metric peak and ~300M MACs', async () => {
  const r = await rig(['plan', '--model', 'mbv2-w1.0-r224', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout) as { paperPeakBytes: number; arenaPeakBytes: number; macs: number; layers: { name: string; macs: number }[] };
  assert.equal(plan.paperPeakBytes, 1_404_928);
  assert.equal(plan.macs, 300_774_272);
  assert.equal(plan.layers.reduce((s, l) => s + l.macs, 0), plan.macs);
  assert.ok(plan.arenaPeakBytes >= plan.paperPeakBytes);
});

test('rig plan --schedule patch reproduces MCUNetV2 Table 1 and gives the real arena of the patched network', async () => {
  const r = await rig(['plan', '--model', 'mbv2-w1.0-r224', '--schedule', 'patch', '--patches', '4', '--split', '5', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout) as {
    patchInput: { h: number; w: number };
    paperPeakBytes: { layerwise: number; patched: number };
    arenaBytes: { layerwise: number; patched: number };
    overhead: { stage: number; stageUnclipped: number; overall: number; overallUnclipped: number };
  };
  assert.deepEqual(p.patchInput, { h: 75, w: 75 });
  assert.equal(p.paperPeakBytes.layerwise, 1_404_928);
  assert.equal(p.paperPeakBytes.patched, 175_616);
  assert.equal(p.overhead.stageUnclipped.toFixed(2), '0.42');
  assert.equal(p.overhead.overallUnclipped.toFixed(2), '0.13');
  assert.ok(p.overhead.stage > 0.3 && p.overhead.stage < p.overhead.stageUnclipped);
  assert.ok(p.arenaBytes.patched >= p.paperPeakBytes.patched && p.arenaBytes.patched < p.arenaBytes.layerwise / 3);
  const text = await rig(['plan', '--model', 'mbv2-w1.0-r224', '--schedule', 'patch', '--patches', '4', '--split', '5']);
  assert.match(text.stdout, /paper-metric peak\s+layer-wise 1,404,928 B \(1372\.0 KB\) -> patched 175,616 B \(171\.5 KB\)/);
  assert.match(text.stdout, /real arena peak\s+layer-wise [\d,]+ B .* -> patched [\d,]+ B/);
});

test('rig plan prints layers and both peaks, each named', async () => {
  const r = await rig(['plan', '--model', 'mcunet-vww1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /b1_dw\s+dwconv2d \(in place\)/);
  assert.match(r.stdout, /paper-metric peak\s+89,600 B/);
  assert.match(r.stdout, /real arena peak\s+89,600 B/);
  assert.match(r.stdout, /TinyEngine's layer-wise plan 93,992 B/);
});

test('rig models lists the zoo with MACs, params, peaks and flash', async () => {
  const r = await rig(['models', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const models = JSON.parse(r.stdout) as { model: string; macs: number; params: number; paperPeakBytes: number; arenaPeakBytes: number; weightBytes: number }[];
  assert.equal(models.length, 15);
  const vww0 = models.find((m) => m.model === 'mcunet-vww0')!;
  assert.equal(vww0.macs, 5_958_400);
  assert.ok(vww0.weightBytes > 368_970);
  const table = await rig(['models']);
  assert.match(table.stdout, /msf-mcunet-320kb-r176\s+176×176×3\s+81,625,520\s+0\.00%/);
});

test('a malformed spec is rejected by rig plan with the path of each error', async () => {
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ name: 'bad', input: [8, 8, 3], blocks: [{ type: 'mbconv', expand: 1, mid: 5, out: 3, k: 3 }, { type: 'fc' }] }));
  const r = await rig(['plan', '--model', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.json: blocks\[1\]\.out: .*expected number/);
  const shape = join(dir, 'shape.json');
  writeFileSync(shape, JSON.stringify({ name: 'shape', input: [8, 8, 3], blocks: [{ type: 'mbconv', expand: 1, mid: 5, out: 3, k: 3 }] }));
  const r2 = await rig(['plan', '--model', shape]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /shape\.json: blocks\[0\]\.mid: expected 3 \(the input's channels, since expand is 1\), found 5/);
  const missing = await rig(['plan', '--model', 'no-such-net']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Unknown model "no-such-net": expected a built-in name \(tiny-cnn, mcunet-in0/);
});
