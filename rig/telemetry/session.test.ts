import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLine } from './protocol.js';
import { EventEmitter } from 'node:events';
import { lineQueue } from './serial.js';
import { LineReader, runSession, type LineLink, type SessionOptions } from './session.js';

const expect = { fw: 'abcd1234', model: 'tiny-cnn', schedule: 'layer', board: 'f746' };
const options: SessionOptions = { warmup: 1, runs: 3, expect, helloTimeoutMs: 200, lineTimeoutMs: 200 };

const hello = (seq: number, fw = expect.fw) =>
  formatLine(seq, 'hello', { proto: 1, fw, model: 'tiny-cnn', schedule: 'layer', board: 'f746', timer: 'systick', arena: 6144 });

/** A scripted board: the lines it sends after hello, and after the run command. */
function fakeLink(before: string[], after: string[], failBye = false): LineLink & { written: string[] } {
  const queue = [...before];
  const written: string[] = [];
  let wake: (() => void) | undefined;
  return {
    written,
    lines: {
      async next() {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        return { value: queue.shift()!, done: false };
      },
    },
    async write(text) {
      written.push(text);
      if (text.startsWith('run')) {
        queue.push(...after);
        wake?.();
      }
      if (text === 'bye\n' && failBye) throw new Error('Input/output error, cannot drain');
    },
  };
}

const run = [
  formatLine(2, 'start', { warmup: 1, runs: 3, in_crc32: '6ad5a9f0' }),
  formatLine(3, 'mem', { arena_used: 6144, arena_size: 6144, stack_used: 184, stack_size: 8192 }),
  formatLine(4, 'time', { i: 0, ticks: 100, crc32: '0badf00d' }),
  formatLine(5, 'time', { i: 1, ticks: 100, crc32: '0badf00d' }),
  formatLine(6, 'time', { i: 2, ticks: 100, crc32: '0badf00d' }),
  formatLine(7, 'done', { runs: 3 }),
];

test('a clean run: hello, run, mem, three times, done, bye', async () => {
  // The first line arrives cut (the port opened mid-line): ignored before sync.
  const link = fakeLink(['ello proto=1 *12345678', hello(0), hello(1)], run, true);
  const r = await runSession(link, options);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(
    r.telemetry.samples.map((s) => s.ticks),
    [100, 100, 100],
  );
  assert.equal(r.telemetry.mem?.arenaUsed, 6144);
  assert.equal(r.telemetry.inputCrc32, '6ad5a9f0');
  assert.equal(r.telemetry.output, undefined);
  assert.equal(r.telemetry.corruptLines, 0);
  assert.deepEqual(link.written, ['run 1 3\n', 'bye\n']);
});

/** `run` with a profiling pass of `slots` before done: slot i took 10 + i ticks, the pass 100. */
function profiled(slots: readonly number[], declared = slots.length): string[] {
  const lines = slots.map((i, k) => formatLine(7 + k, 'slot', { i, ticks: 10 + i }));
  lines.push(formatLine(7 + slots.length, 'profile', { slots: declared, ticks: 100, crc32: '0badf00d' }));
  return [...run.slice(0, -1), ...lines, formatLine(8 + slots.length, 'done', { runs: 3 })];
}

test('the profiling pass: every slot once, then its total and CRC; a missing or repeated slot fails the run', async () => {
  const r = await runSession(fakeLink([hello(0), hello(1)], profiled([0, 1, 2])), options);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.telemetry.profile, { slotTicks: [10, 11, 12], ticks: 100, crc32: '0badf00d' });
  // A firmware that sends no profiling pass (an older image) leaves the profile out, nothing else.
  const without = await runSession(fakeLink([hello(0), hello(1)], run), options);
  assert.ok(without.ok && without.telemetry.profile === undefined, JSON.stringify(without));

  const missing = await runSession(fakeLink([hello(0), hello(1)], profiled([0, 2], 3)), options);
  assert.ok(!missing.ok && missing.status === 'telemetry-error' && /sent 2 slot lines for 3 slots/.test(missing.detail), JSON.stringify(missing));
  const outOfRange = await runSession(fakeLink([hello(0), hello(1)], profiled([0, 1, 5], 3)), options);
  assert.ok(!outOfRange.ok && /sent 3 slot lines for 3 slots/.test(outOfRange.detail), JSON.stringify(outOfRange));
  const twice = await runSession(fakeLink([hello(0), hello(1)], profiled([0, 1, 1], 3)), options);
  assert.ok(!twice.ok && /unexpected slot line i=1/.test(twice.detail), JSON.stringify(twice));
});

/** `run` with out lines before done, each `[at, hex]`. */
function withOutput(chunks: readonly (readonly [number, string])[]): string[] {
  const lines = chunks.map(([at, hex], k) => formatLine(7 + k, 'out', { at, hex }));
  return [...run.slice(0, -1), ...lines, formatLine(7 + chunks.length, 'done', { runs: 3 })];
}

test('the output tensor asked for arrives in order and whole, or the run fails; unasked, out lines fail it', async () => {
  const asked = { ...options, outputBytes: 5 };
  const link = fakeLink(
    [hello(0), hello(1)],
    withOutput([
      [0, '0102'],
      [2, 'fffe80'],
    ]),
  );
  const r = await runSession(link, asked);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.telemetry.output, Uint8Array.of(1, 2, 255, 254, 128));
  assert.equal(link.written[0], 'run 1 3 output\n');

  const short = await runSession(fakeLink([hello(0), hello(1)], withOutput([[0, '0102']])), asked);
  assert.ok(!short.ok && /2 of 5 output bytes arrived/.test(short.detail) && short.telemetry.output === undefined, JSON.stringify(short));
  const gap = await runSession(
    fakeLink(
      [hello(0), hello(1)],
      withOutput([
        [0, '0102'],
        [3, 'fe80'],
      ]),
    ),
    asked,
  );
  assert.ok(!gap.ok && /unexpected out line at=3 \(2 bytes; 2 of 5 received\)/.test(gap.detail), JSON.stringify(gap));
  const over = await runSession(fakeLink([hello(0), hello(1)], withOutput([[0, '010203040506']])), asked);
  assert.ok(!over.ok && /unexpected out line at=0 \(6 bytes; 0 of 5 received\)/.test(over.detail), JSON.stringify(over));
  const unasked = await runSession(fakeLink([hello(0), hello(1)], withOutput([[0, '01']])), options);
  assert.ok(!unasked.ok && /unexpected out line at=0 \(1 bytes; 0 of 0 received\)/.test(unasked.detail), JSON.stringify(unasked));
});

test('a corrupted time line fails the run and never becomes a number', async () => {
  const garbled = [...run];
  garbled[3] = garbled[3]!.replace('ticks=100', 'ticks=900');
  const r = await runSession(fakeLink([hello(0), hello(1)], garbled), options);
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.status === 'telemetry-error' && /1 of 3 time lines are missing.*1 corrupt line.*checksum mismatch/.test(r.detail), JSON.stringify(r));
  assert.deepEqual(
    r.telemetry.samples.map((s) => s.i),
    [0, 2],
  );
});

test('a lost line is counted from the sequence gap', async () => {
  const lost = run.filter((_, i) => i !== 4);
  const r = await runSession(fakeLink([hello(0), hello(1)], lost), options);
  assert.ok(!r.ok && r.status === 'telemetry-error' && /1 line\(s\) lost/.test(r.detail), JSON.stringify(r));
});

test('a board that resets mid-run, one that hangs, and one running other firmware', async () => {
  const reset = [...run.slice(0, 3), hello(0)];
  const r1 = await runSession(fakeLink([hello(0), hello(1)], reset), options);
  assert.ok(!r1.ok && r1.status === 'device-error' && /board reset/.test(r1.detail) && r1.phase === 'inference', JSON.stringify(r1));
  const r2 = await runSession(fakeLink([hello(0), hello(1)], run.slice(0, 3)), options);
  assert.ok(!r2.ok && r2.status === 'timeout' && r2.phase === 'inference', JSON.stringify(r2));
  const r3 = await runSession(fakeLink([hello(0, 'ffff0000')], run), options);
  assert.ok(!r3.ok && r3.status === 'wrong-firmware' && /fw=ffff0000 \(expected abcd1234\)/.test(r3.detail), JSON.stringify(r3));
  const r4 = await runSession(fakeLink([], []), options);
  assert.ok(!r4.ok && r4.status === 'timeout' && r4.phase === 'boot', JSON.stringify(r4));
});

test('a firmware error line ends the run with its code', async () => {
  const r = await runSession(fakeLink([hello(0)], [run[0]!, formatLine(3, 'error', { code: 'hardfault' })]), options);
  assert.ok(!r.ok && r.status === 'device-error' && /code=hardfault/.test(r.detail), JSON.stringify(r));
});

test('an error line in place of hello ends the session as a device error that carries its code', async () => {
  const r = await runSession(fakeLink(['garbage', formatLine(0, 'error', { code: 'clock-hse' })], []), options);
  assert.deepEqual(r.ok ? null : [r.status, r.phase, r.detail, r.firmwareError], [
    'device-error',
    'boot',
    'the firmware reported error code=clock-hse',
    'clock-hse',
  ]);
});

test('a read that timed out does not lose the line that arrives after it', async () => {
  const source = new EventEmitter();
  const reader = new LineReader(lineQueue(source), undefined);
  assert.equal(await reader.next(20), 'timeout');
  source.emit('data', 'first');
  source.emit('data', 'second');
  assert.equal(await reader.next(1000), 'first');
  assert.equal(await reader.next(1000), 'second');
  assert.equal(await reader.next(20), 'timeout');
  source.emit('close');
  assert.deepEqual(await reader.next(1000), { closed: '' });
});
