// A plan against a board as rig plan reports it: SRAM and flash, both numbers each; the schedule
// the budget search chooses when the arena does not fit; that no schedule changes the flash. And
// the check rig bench makes before building, with the same numbers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitsProblem, planFor } from '../bench/bench.js';
import { emulatedTarget, hardwareTarget } from '../compile/firmware.js';
import { loadBoard } from '../config/board.js';
import { loadModel } from '../config/model.js';
import { boardFit, fitLines, scheduleOptions, type FittingPlan } from './fit.js';
import { planModel } from './plan.js';

test('mcunet-in4 layer-wise on the F746: both numbers for SRAM and for flash; stream2d 6×6 split 6 fits the SRAM, nothing the flash', async () => {
  const f746 = await loadBoard('f746');
  const in4 = await loadModel('mcunet-in4', 1);
  const fit = boardFit(planFor({ model: in4, schedule: 'layer' }), f746);
  assert.deepEqual(fit, {
    board: 'f746',
    sram: { arenaBytes: 409_600, stackBytes: 8_192, neededBytes: 417_792, availableBytes: 327_680, fits: false },
    flash: { neededBytes: 1_927_480, availableBytes: 1_048_576, fits: false, external: { name: 'QSPI', sizeBytes: 16_777_216, variants: ['disco'] } },
    fits: false,
  });

  const report = await planModel({ model: 'mcunet-in4', seed: 1, schedule: 'layer', db: '/nonexistent/rig.db' });
  assert.equal(report.kind, 'layer');
  if (report.kind !== 'layer') return;
  assert.deepEqual(report.fit, fit);
  const chosen = report.fitting?.chosen;
  assert.ok(chosen !== null && chosen !== undefined);
  assert.deepEqual([chosen.label, chosen.arenaBytes, chosen.macs], ['stream2d 6×6 split 6', 143_064, 125_874_400]);
  assert.equal(report.fitting!.options, '--schedule stream2d --patches 6 --split 6');
  // The plan it names does fit the SRAM; the flash still does not.
  const suggested = boardFit(planFor({ model: in4, schedule: 'stream2d', patches: 6, split: 6 }), f746);
  assert.equal(suggested.sram.fits, true);
  assert.equal(suggested.flash.fits, false);

  assert.deepEqual(fitLines(report.fit, report.fitting), [
    'SRAM on f746                 417,792 B needed (arena 409,600 B + stack 8,192 B), 327,680 B available: does not fit',
    'schedule that fits the SRAM  stream2d 6×6 split 6: arena 143,064 B, 125,874,400 MACs (1.000× layer-wise), the fewest MACs of 259 plans within arena ≤ 319,488 B (f746: 327,680 B SRAM less 8,192 B stack); rig plan and rig bench take --schedule stream2d --patches 6 --split 6',
    "flash on f746                1,927,480 B needed (weights and input; code comes on top), 1,048,576 B available: does not fit the internal flash; the disco variant's 16,777,216 B of QSPI flash holds the weights (rig bench --variant disco)",
  ]);
});

test('a plan that fits says so with both numbers and runs no search; one whose arena fits but weights do not says only the flash', async () => {
  const fits = await planModel({ model: 'mcunet-in0', seed: 1, schedule: 'layer' });
  assert.ok(fits.kind === 'layer');
  assert.equal(fits.fitting, null);
  assert.deepEqual(fitLines(fits.fit, fits.fitting), [
    'SRAM on f746                 54,272 B needed (arena 46,080 B + stack 8,192 B), 327,680 B available: fits',
    'flash on f746                836,072 B needed (weights and input; code comes on top), 1,048,576 B available: fits',
  ]);

  const streamed = await planModel({ model: 'mcunet-in4', seed: 1, schedule: 'stream2d', patches: 6, split: 6 });
  assert.ok(streamed.kind === 'stream');
  assert.equal(streamed.fit.sram.neededBytes, 143_064 + 8_192);
  assert.equal(streamed.fitting, null, 'the SRAM fits: no search');
  assert.equal(streamed.fit.flash.fits, false);

  // Another board: the F412's 256 KB; mbv2-w0.35's weights fit its flash, its layer-wise arena not its SRAM.
  const f412 = await planModel({ model: 'mbv2-w0.35', seed: 1, schedule: 'layer', board: 'f412', db: '/nonexistent/rig.db' });
  assert.ok(f412.kind === 'layer');
  assert.deepEqual([f412.fit.board, f412.fit.sram.availableBytes, f412.fit.sram.fits, f412.fit.flash.fits], ['f412', 262_144, false, true]);
  assert.ok(f412.fitting?.chosen !== null && f412.fitting!.chosen.arenaBytes <= 262_144 - 8_192);
  assert.match(fitLines(f412.fit, f412.fitting)[1]!, /^schedule that fits the SRAM {2}stream2d \d×\d split \d+: .* within arena ≤ 253,952 B \(f412: /);
});

test('when no plan fits the SRAM, the line says so with the smallest arena', () => {
  const fit = {
    board: 'tiny',
    sram: { arenaBytes: 50_000, stackBytes: 1_024, neededBytes: 51_024, availableBytes: 16_384, fits: false },
    flash: { neededBytes: 1_000, availableBytes: 65_536, fits: true, external: null },
    fits: false,
  };
  const none: FittingPlan = {
    chosen: null,
    smallest: { label: 'stream1d 6×6 split 4', arenaBytes: 20_480 },
    candidates: 40,
    budgetSource: 'arena ≤ 15,360 B (tiny: 16,384 B SRAM less 1,024 B stack)',
    costBasis: 'macs',
    options: null,
  };
  assert.equal(
    fitLines(fit, none)[1],
    'schedule that fits the SRAM  none of 40 plans: the smallest arena is 20,480 B (stream1d 6×6 split 4), over arena ≤ 15,360 B (tiny: 16,384 B SRAM less 1,024 B stack)',
  );
  assert.equal(scheduleOptions('layer', {}), '--schedule layer');
});

test("rig bench's check before building names what is needed and what the board has; a schedule for the arena only when the weights fit", async () => {
  const f746 = await loadBoard('f746');
  const f412 = await loadBoard('f412');
  const in4 = await loadModel('mcunet-in4', 1);
  assert.equal(
    fitsProblem(planFor({ model: in4, schedule: 'layer' }), f746, emulatedTarget(f746)),
    'mcunet-in4 needs 408 KB of SRAM (arena 409600 B + stack 8192 B); f746 has 320 KB; mcunet-in4 needs 1883 KB of flash for its weights; f746 has 1024 KB of internal flash and no external flash on this variant (the disco variant has 16384 KB of QSPI flash: --variant disco), and no schedule changes that (every schedule keeps all the weights in flash)',
  );
  const mbv2 = await loadModel('mbv2-w0.35', 1);
  assert.equal(
    fitsProblem(planFor({ model: mbv2, schedule: 'layer' }), f412, emulatedTarget(f412)),
    'mbv2-w0.35 needs 292 KB of SRAM (arena 290304 B + stack 8192 B); f412 has 256 KB; a tiled schedule may fit: `rig plan --budget 253952` with this model names the one with the fewest MACs whose arena fits in 253,952 B, if any, and --schedule auto runs it',
  );
  const in1 = await loadModel('mcunet-in1', 1);
  assert.match(
    fitsProblem(planFor({ model: in1, schedule: 'layer' }), f746, hardwareTarget(f746, 'nucleo', 'dtcm'))!,
    /arena RAM dtcm \(DTCM\) has 64 KB \(--arena-ram: .*\); a tiled schedule may fit: `rig plan --budget 65536` with this model names the one with the fewest MACs whose arena fits in 65,536 B/,
  );
  assert.equal(
    fitsProblem(planFor({ model: in4, schedule: 'stream2d', patches: 6, split: 6 }), f746, emulatedTarget(f746))?.startsWith(
      'mcunet-in4 needs 1883 KB of flash',
    ),
    true,
  );
  assert.equal(fitsProblem(planFor({ model: mbv2, schedule: 'layer' }), f746, emulatedTarget(f746)), null);
});
