import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { emulatedTarget, hardwareTarget } from '../compile/firmware.js';
import { ValidationError } from '../util/errors.js';
import { BOARDS_DIR } from '../util/paths.js';
import { loadBoard, resolveBoard } from './board.js';

const raw = (id: string) => JSON.parse(readFileSync(join(BOARDS_DIR, `${id}.json`), 'utf8')) as Record<string, unknown>;

test('a variant whose UART the silicon board support does not drive is refused with its path', () => {
  const f746 = raw('f746') as { variants: { disco: { uart: Record<string, string> } } };
  f746.variants.disco.uart = { instance: 'USART6', tx: 'PC6', rx: 'PC7' };
  assert.throws(
    () => resolveBoard(f746, 'my-f746.json'),
    (e: unknown) =>
      e instanceof ValidationError &&
      /my-f746\.json: variants\.disco\.uart: expected one of USART1 on PA9\/PB7, USART2 on PA2\/PA3, USART3 on PD8\/PD9 \(TX\/RX\), found USART6 on PC6\/PC7/.test(
        e.message,
      ),
  );
});

test("the silicon target links at the board's flash and SRAM, with the variant's clock and UART", async () => {
  const f746 = await loadBoard('f746');
  const disco = hardwareTarget(f746, 'disco', 'all');
  assert.equal(disco.flashOrigin, 0x08000000);
  assert.equal(disco.ramOrigin, 0x20000000);
  assert.equal(disco.ramBytes, 320 * 1024);
  // The DISCO's QSPI flash: the board support maps it, the link may put weights there.
  assert.deepEqual(disco.defines, [
    '-DRIG_STM32F7',
    '-DRIG_HSE_HZ=25000000',
    '-DRIG_HSE_BYPASS=0',
    '-DRIG_UART_USART1',
    '-DRIG_BAUD=115200',
    '-DRIG_EXTERNAL_FLASH',
  ]);
  assert.deepEqual(disco.externalFlash, { name: 'QSPI', origin: 0x90000000, sizeBytes: 16 * 1024 * 1024 });
  assert.equal(hardwareTarget(f746, 'nucleo', 'all').externalFlash, null);
  const f412 = hardwareTarget(await loadBoard('f412'), 'nucleo', 'sram1');
  assert.deepEqual(f412.defines, ['-DRIG_STM32F4', '-DRIG_HSE_HZ=8000000', '-DRIG_HSE_BYPASS=1', '-DRIG_UART_USART3', '-DRIG_BAUD=115200']);
  assert.equal(f412.ramBytes, 256 * 1024);
  assert.equal(f412.externalFlash, null);
  // Emulated, the variant's external flash is the mps2's RAM at 0x60000000.
  assert.equal(emulatedTarget(f746).externalFlash, null);
  assert.deepEqual(emulatedTarget(f746, 'disco').externalFlash, {
    name: 'QSPI (emulated: RAM at 0x60000000)',
    origin: 0x60000000,
    sizeBytes: 16 * 1024 * 1024,
  });
});

test('external flash names variants the board has, and the emulator stands in only for flash the board declares', () => {
  const f746 = raw('f746') as { memory: Record<string, unknown>; emulation: Record<string, unknown> };
  const withFlash = (ext: unknown, emulation: Record<string, unknown> = {}) => ({
    ...f746,
    memory: { ...f746.memory, externalFlash: ext },
    emulation: { ...f746.emulation, ...emulation },
  });
  assert.throws(
    () => resolveBoard(withFlash({ name: 'QSPI', origin: '0x90000000', sizeBytes: 1024, variants: ['discovery'] }), 'my-f746.json'),
    (e) =>
      e instanceof ValidationError &&
      /my-f746\.json: memory\.externalFlash\.variants\[0\]: expected one of "nucleo", "disco", found "discovery"/.test(e.message),
  );
  const { externalFlash: _, ...memory } = f746.memory as Record<string, unknown>;
  assert.throws(
    () => resolveBoard({ ...f746, memory }, 'my-f746.json'),
    (e) =>
      e instanceof ValidationError &&
      /my-f746\.json: emulation\.externalFlashOrigin: expected memory\.externalFlash, which it stands in for, found none/.test(e.message),
  );
});

test('memory.arenaRam resolves each choice to its SRAM and the rest; the silicon target links data and stack into the rest', async () => {
  const f746 = await loadBoard('f746');
  assert.equal(f746.defaultArenaRam, 'all');
  assert.deepEqual(f746.arenaRams['dtcm'], {
    choice: 'dtcm',
    name: 'DTCM',
    origin: 0x20000000,
    sizeBytes: 65536,
    rest: { name: 'SRAM1+SRAM2', origin: 0x20010000, sizeBytes: 262144 },
  });
  assert.deepEqual(f746.arenaRams['all'], { choice: 'all', name: 'DTCM+SRAM1+SRAM2', origin: 0x20000000, sizeBytes: 327680, rest: null });
  const sram1 = hardwareTarget(f746, 'nucleo', 'sram1');
  assert.deepEqual(
    [sram1.ramOrigin, sram1.ramBytes, sram1.arenaRam, sram1.arenaRegion],
    [0x20000000, 65536, 'sram1', { name: 'SRAM1+SRAM2', origin: 0x20010000, sizeBytes: 262144 }],
  );
  const all = hardwareTarget(f746, 'nucleo', 'all');
  assert.deepEqual([all.ramOrigin, all.ramBytes, all.arenaRam, all.arenaRegion], [0x20000000, 327680, 'all', null]);
  const f412 = await loadBoard('f412');
  assert.deepEqual(Object.keys(f412.arenaRams), ['sram1']);
  assert.equal(hardwareTarget(f412, 'disco', 'sram1').arenaRegion, null);
});

test('an arena RAM choice of unknown, scattered or middle regions, or an unknown default, is refused with its path', () => {
  const refused = (arenaRam: unknown, stackBytes = 8192) => {
    const f746 = raw('f746') as { memory: Record<string, unknown>; stackBytes: number };
    f746.memory['arenaRam'] = arenaRam;
    f746.stackBytes = stackBytes;
    try {
      resolveBoard(f746, 'my-f746.json');
    } catch (e) {
      if (e instanceof ValidationError) return e.message;
      throw e;
    }
    return 'accepted';
  };
  assert.equal(
    refused({ default: 'itcm', choices: { dtcm: ['DTCM'], sram: ['SRAM1', 'SRAM3'] } }),
    [
      'my-f746.json: memory.arenaRam.default: expected one of "dtcm", "sram", found "itcm"',
      'my-f746.json: memory.arenaRam.choices.sram[1]: expected one of "DTCM", "SRAM1", "SRAM2" (memory.sram), found "SRAM3"',
    ].join('\n'),
  );
  assert.equal(
    refused({ default: 'mid', choices: { mid: ['SRAM1'], gap: ['DTCM', 'SRAM2'] } }),
    [
      'my-f746.json: memory.arenaRam.choices.mid: expected consecutive regions of memory.sram starting at DTCM or ending at SRAM2 (the rest holds .data, .bss and the stack), found SRAM1',
      'my-f746.json: memory.arenaRam.choices.gap: expected consecutive regions of memory.sram starting at DTCM or ending at SRAM2 (the rest holds .data, .bss and the stack), found DTCM, SRAM2',
    ].join('\n'),
  );
  assert.equal(refused({ default: 'big', choices: { big: ['DTCM', 'SRAM1'] } }), 'accepted');
  assert.equal(
    refused({ default: 'big', choices: { big: ['DTCM', 'SRAM1'] } }, 16384),
    'my-f746.json: memory.arenaRam.choices.big: expected the rest of the SRAM (SRAM2, 16384 B) to hold the 16384 B stack and static data',
  );
  assert.equal(refused(undefined), 'my-f746.json: memory.arenaRam: Invalid input: expected object, received undefined');
});

test("a board file is stored under its own identity: the id of a built-in board only with that board's content", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rig-board-'));
  try {
    const f746 = raw('f746') as { id: string; maxClockHz: number; emulation: { systickHz: number } };
    await writeFile(join(dir, 'same.json'), JSON.stringify(f746));
    assert.equal((await loadBoard(join(dir, 'same.json'))).id, 'f746');
    f746.maxClockHz = 100_000_000;
    f746.emulation.systickHz = 1_000_000;
    await writeFile(join(dir, 'oc.json'), JSON.stringify(f746));
    await assert.rejects(
      loadBoard(join(dir, 'oc.json')),
      (e: unknown) =>
        e instanceof ValidationError &&
        /oc\.json: id: expected an id of its own \(e\.g\. "f746-custom"\), found "f746", the id of the built-in board boards\/f746\.json, from which this file differs at maxClockHz, emulation\.systickHz/.test(
          e.message,
        ),
    );
    f746.id = 'f746-oc';
    await writeFile(join(dir, 'oc2.json'), JSON.stringify(f746));
    assert.equal((await loadBoard(join(dir, 'oc2.json'))).id, 'f746-oc');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
