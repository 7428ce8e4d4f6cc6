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
  assert.equal(
    plan.layers.reduce((s, l) => s + l.macs, 0),
    plan.macs,
  );
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
  const models = JSON.parse(r.stdout) as {
    model: string;
    macs: number;
    params: number;
    paperPeakBytes: number | null;
    arenaPeakBytes: number;
    weightBytes: number;
  }[];
  assert.equal(models.length, 18);
  // The transformers: their parameters and MACs, and no MCUNet metric (it counts convolutional layers).
  const vit = models.find((m) => m.model === 'mcuformer-d192-l12-r240-p16')!;
  assert.deepEqual([vit.params, vit.macs, vit.paperPeakBytes, vit.arenaPeakBytes], [3_493_480, 964_561_920, null, 390_528]);
  const vww0 = models.find((m) => m.model === 'mcunet-vww0')!;
  assert.equal(vww0.macs, 5_958_400);
  assert.ok(vww0.weightBytes > 368_970);
  const table = await rig(['models']);
  // msf-CNN publishes exact counts; the MCUNet zoo rounds them, and is shown as printed beside the exact count.
  assert.match(table.stdout, /msf-mcunet-320kb-r176\s+176×176×3\s+81,625,520\s+81,625,520\s+0\.00%/);
  assert.match(table.stdout, /mcunet-in0\s+48×48×3\s+6,364,224\s+6\.4M\s+-0\.56%\s+749,840\s+0\.75M\s+-0\.02%\s+46,080/);
  assert.match(table.stdout, /mcunet-vww0\s+64×64×3\s+5,958,400\s+6\.0M\s/);
  assert.match(
    table.stdout,
    /^model\s+input\s+MACs\s+MACs published\s+MACs vs published\s+params\s+params published\s+params vs published\s+peak B \(MCUNetV2 metric\)\s+real peak B/m,
  );
  assert.match(table.stdout, /^peak B \(MCUNetV2 metric\): .*largest input \+ output of one layer in int8 bytes, depthwise counted in place/m);
  assert.match(table.stdout, /but mbv2-w1\.0-r224's MACs\.$/m);
  const csv = await rig(['models', '--csv']);
  assert.equal(
    csv.stdout.split('\r\n')[0],
    'model,input,MACs,MACs published,MACs vs published,params,params published,params vs published,peak B (MCUNetV2 metric),real peak B,flash weights B',
  );
  assert.doesNotMatch(csv.stdout, /within|rounds/, 'the notes are for the terminal only');
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

test("rig plan --objective memory finds plans at least as good as msf-CNN's published points within 1.1× the MACs", async () => {
  for (const name of ['msf-mbv2-w0.35-r144', 'msf-vww-5fps-r80', 'msf-mcunet-320kb-r176']) {
    const r = await rig(['plan', '--model', name, '--objective', 'memory', '--mac-budget', '1.1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as {
      chosen: { arenaBytes: number; macs: number; macsRatio: number };
      msf: { label: string; ramBytes: number; macs: number; asGood: boolean; best: { arenaBytes: number; macs: number } | null }[];
      front: { arenaBytes: number; macs: number }[];
    };
    const at11 = s.msf.find((m) => m.label.includes('1.1'))!;
    assert.ok(at11.asGood && at11.best!.arenaBytes <= at11.ramBytes && at11.best!.macs <= at11.macs, `${name}: ${JSON.stringify(at11)}`);
    assert.ok(s.chosen.macsRatio <= 1.1 && s.chosen.arenaBytes <= at11.ramBytes, name);
    assert.equal(s.front[0]!.arenaBytes, Math.min(...s.front.map((f) => f.arenaBytes)));
  }
  const text = await rig(['plan', '--model', 'msf-vww-5fps-r80', '--objective', 'memory', '--mac-budget', '1.1']);
  assert.match(
    text.stdout,
    /MACs ≤ 1\.1× layer-wise\s+msf-CNN 32,792 B at 12,024,576 MACs; rig [\d,]+ B at [\d,]+ MACs \(stream2d \d×\d split \d+\): as good or better/,
  );
  assert.match(text.stdout, /minimum RAM\s+msf-CNN 12,000 B .*: not reached/);
  assert.match(text.stdout, /Not reached where msf-CNN's RAM is below [\d,]+ B, the smallest arena of any plan here/);
});

test('rig plan --budget chooses the fewest MACs that fit; impossible budgets and option mixes are refused', async () => {
  const r = await rig(['plan', '--model', 'mcunet-vww1', '--budget', '40KB', '--max-patches', '4', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { chosen: { schedule: string; arenaBytes: number; macs: number }; costBasis: string; candidates: number };
  assert.equal(s.chosen.schedule, 'stream2d');
  assert.equal(s.chosen.macs, 11_578_816);
  assert.ok(s.chosen.arenaBytes <= 40 * 1024);
  assert.equal(s.costBasis, 'macs');
  const none = await rig(['plan', '--model', 'mcunet-vww1', '--budget', '1KB', '--max-patches', '3']);
  assert.equal(none.code, 1);
  assert.match(none.stdout, /No plan meets arena ≤ 1,024 B \(--budget 1KB\): the smallest arena is [\d,]+ B/);
  const refusals: [string[], RegExp][] = [
    [['--objective', 'memory'], /--objective memory needs --mac-budget R/],
    [['--budget', '12 apples'], /--budget 12 apples: expected a size such as 256KB/],
    [['--mac-budget', '1.2'], /--mac-budget goes with --objective memory/],
    [['--objective', 'memory', '--mac-budget', '0.5'], /--mac-budget 0\.5: expected a ratio of at least 1/],
    [['--budget', '64KB', '--split', '3'], /--patches and --split fix one plan; the search/],
    [['--budget', '64KB', '--max-patches', '99'], /--max-patches 99: expected a whole number from 2 to 32/],
    // The planner refuses a split as a value; the command line names the option it came from.
    [
      ['--schedule', 'patch', '--split', '9'],
      /^rig: --split 9: expected a whole number of blocks from 1 to 4 \(the rest of tiny-cnn must keep at least one block\)\n$/,
    ],
    [
      ['--schedule', 'stream1d', '--patches', '40', '--split', '1'],
      /^rig: --patches 40: expected a whole number from 1 to 16 \(the stage output of tiny-cnn at split 1 is 16×16\)\n$/,
    ],
  ];
  for (const [args, pattern] of refusals) {
    const bad = await rig(['plan', '--model', 'tiny-cnn', ...args]);
    assert.equal(bad.code, 2, args.join(' '));
    assert.match(bad.stderr, pattern);
  }
});

test('rig plan --schedule stream2d executes the layer-wise MACs and says what its stream buffers cost', async () => {
  const r = await rig(['plan', '--model', 'mcunet-vww1', '--schedule', 'stream2d', '--patches', '4', '--split', '5', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as {
    macs: { totalExecuted: number; totalLayerwise: number; stageExecuted: number; stagePatched: number };
    arenaBytes: { layerwise: number; patched: number; streamed: number };
    streamBufferBytes: number;
  };
  assert.equal(s.macs.totalExecuted, s.macs.totalLayerwise);
  assert.ok(s.macs.stagePatched > s.macs.stageExecuted);
  assert.ok(s.streamBufferBytes > 0 && s.arenaBytes.streamed < s.arenaBytes.layerwise);
  const text = await rig(['plan', '--model', 'mcunet-vww1', '--schedule', 'stream1d', '--patches', '4', '--split', '5']);
  assert.match(text.stdout, /mcunet-vww1: schedule stream1d, 4×4 cells, stage = blocks 0-4/);
  assert.match(text.stdout, /stream buffers [\d,]+ B at the busiest step/);
});

test('rig plan checks the plan against the board: mcunet-in4 layer-wise, both numbers for SRAM and flash, the schedule that fits the SRAM, the variant whose external flash holds the weights', async () => {
  const r = await rig(['plan', '--model', 'mcunet-in4', '--db', join(dir, 'none.db')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^SRAM on f746 {17}417,792 B needed \(arena 409,600 B \+ stack 8,192 B\), 327,680 B available: does not fit$/m);
  assert.match(
    r.stdout,
    /^schedule that fits the SRAM {2}stream2d 6×6 split 6: arena 143,064 B, 125,874,400 MACs \(1\.000× layer-wise\), the fewest MACs of 259 plans within arena ≤ 319,488 B .*; rig plan and rig bench take --schedule stream2d --patches 6 --split 6$/m,
  );
  assert.match(
    r.stdout,
    /^flash on f746 {16}1,927,480 B needed \(weights and input; code comes on top\), 1,048,576 B available: does not fit the internal flash; the disco variant's 16,777,216 B of QSPI flash holds the weights \(rig bench --variant disco\)$/m,
  );

  // The schedule it names: the SRAM fits, the flash still does not.
  const named = await rig(['plan', '--model', 'mcunet-in4', '--schedule', 'stream2d', '--patches', '6', '--split', '6', '--json']);
  assert.equal(named.code, 0, named.stderr);
  const s = JSON.parse(named.stdout) as { fit: { sram: { fits: boolean; neededBytes: number }; flash: { fits: boolean } }; fitting: unknown };
  assert.deepEqual([s.fit.sram.fits, s.fit.sram.neededBytes, s.fit.flash.fits, s.fitting], [true, 151_256, false, null]);

  const json = await rig(['plan', '--model', 'mcunet-in4', '--json', '--db', join(dir, 'none.db')]);
  const p = JSON.parse(json.stdout) as { fit: { fits: boolean; flash: { neededBytes: number; availableBytes: number } }; fitting: { options: string } };
  assert.deepEqual(
    [p.fit.fits, p.fit.flash.neededBytes, p.fit.flash.availableBytes, p.fitting.options],
    [false, 1_927_480, 1_048_576, '--schedule stream2d --patches 6 --split 6'],
  );

  // The search against the board says the flash does not fit whatever it chooses.
  const search = await rig(['plan', '--model', 'mcunet-in4', '--objective', 'macs', '--db', join(dir, 'none.db')]);
  assert.equal(search.code, 0, search.stderr);
  assert.match(search.stdout, /Chosen \(least executed MACs with arena ≤ 319,488 B .*\): stream2d 6×6 split 6/);
  assert.match(
    search.stdout,
    /^Flash: 1,927,480 B needed \(weights and input\), f746 has 1,048,576 B: no schedule fits it, every schedule keeps all the weights in flash\.$/m,
  );

  const fits = await rig(['plan', '--model', 'mcunet-vww1', '--board', 'f412']);
  assert.match(fits.stdout, /^SRAM on f412 {17}97,792 B needed \(arena 89,600 B \+ stack 8,192 B\), 262,144 B available: fits$/m);
  assert.doesNotMatch(fits.stdout, /schedule that fits/);
});
