import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hardwareTarget } from '../compile/firmware.js';
import { ValidationError } from '../util/errors.js';
import { BOARDS_DIR } from '../util/paths.js';
import { loadBoard, resolveBoard } from './board.js';

const raw = (id: string) => JSON.parse(readFileSync(join(BOARDS_DIR, `${id}.json`), 'utf8')) as Record<string, unknown>;

test('a variant whose UART the silicon board support does not drive is refused with its path', () => {
  const f746 = raw('f746') as { variants: { disco: { uart: Record<string, string> } } };
  f746.variants.disco.uart = { instance: 'USART6', tx: 'PC6', rx: 'PC7' };
  assert.throws(
    () => resolveBoard(f746, 'my-f746.json'),
    (e: unknown) => e instanceof ValidationError && /my-f746\.json: variants\.disco\.uart: expected one of USART1 on PA9\/PB7, USART2 on PA2\/PA3, USART3 on PD8\/PD9 \(TX\/RX\), found USART6 on PC6\/PC7/.test(e.message),
  );
});

test("the silicon target links at the board's flash and SRAM, with the variant's clock and UART", async () => {
  const f746 = await loadBoard('f746');
  const disco = hardwareTarget(f746, 'disco');
  assert.equal(disco.flashOrigin, 0x08000000);
  assert.equal(disco.ramOrigin, 0x20000000);
  assert.equal(disco.ramBytes, 320 * 1024);
  assert.deepEqual(disco.defines, ['-DRIG_STM32F7', '-DRIG_HSE_HZ=25000000', '-DRIG_HSE_BYPASS=0', '-DRIG_UART_USART1', '-DRIG_BAUD=115200']);
  const f412 = hardwareTarget(await loadBoard('f412'), 'nucleo');
  assert.deepEqual(f412.defines, ['-DRIG_STM32F4', '-DRIG_HSE_HZ=8000000', '-DRIG_HSE_BYPASS=1', '-DRIG_UART_USART3', '-DRIG_BAUD=115200']);
  assert.equal(f412.ramBytes, 256 * 1024);
});
