import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReadlineParser } from '@serialport/parser-readline';
import { crc32, hex32 } from '../util/crc32.js';
import { formatLine, parseLine, type ParseResult } from './protocol.js';

test('crc32 is the zlib CRC', () => {
  assert.equal(hex32(crc32('123456789')), 'cbf43926');
  assert.equal(hex32(crc32('')), '00000000');
});

test('a well-formed line parses into numbers', () => {
  const line = formatLine(7, 'time', { i: 3, ticks: 123456, crc32: 'deadbeef' });
  assert.match(line, /^@rig1 7 time i=3 ticks=123456 crc32=deadbeef \*[0-9a-f]{8}$/);
  assert.deepEqual(parseLine(line), { ok: true, message: { kind: 'time', seq: 7, i: 3, ticks: 123456, crc32: 'deadbeef' } });
  assert.deepEqual(parseLine(line + '\r'), parseLine(line));
  assert.deepEqual(parseLine(formatLine(8, 'slot', { i: 54, ticks: 17851 })), { ok: true, message: { kind: 'slot', seq: 8, i: 54, ticks: 17851 } });
  assert.deepEqual(parseLine(formatLine(9, 'profile', { slots: 57, ticks: 627427, crc32: 'be4b3db7' })), {
    ok: true,
    message: { kind: 'profile', seq: 9, slots: 57, ticks: 627427, crc32: 'be4b3db7' },
  });
});

test('every corrupted byte is caught by the checksum', () => {
  const line = formatLine(12, 'mem', { arena_used: 6144, arena_size: 6144, stack_used: 312, stack_size: 8000 });
  for (let i = 0; i < line.length; i++) {
    for (const flip of [1, 0x20]) {
      const bad = line.slice(0, i) + String.fromCharCode(line.charCodeAt(i) ^ flip) + line.slice(i + 1);
      const r = parseLine(bad);
      if (r.ok) assert.fail(`corruption at ${i} was accepted: ${bad}`);
    }
  }
});

test('bad lines are rejected with a reason and never yield numbers', () => {
  const cases: [string, RegExp][] = [
    ['', /no checksum/],
    ['@rig1 0 hello proto=1', /no checksum/],
    ['@rig1 0 done runs=5 *zzzzzzzz', /malformed checksum/],
    ['@rig1 0 done runs=5 *00000000', /checksum mismatch/],
    [formatLine(0, 'time', { i: 0, ticks: '12x', crc32: 'deadbeef' }), /ticks must be a decimal/],
    [formatLine(0, 'time', { i: 0, crc32: 'deadbeef' }), /ticks must be a decimal/],
    [formatLine(0, 'time', { i: 0, ticks: 1, crc32: 'DEADBEEF' }), /crc32 must be 8 lowercase hex/],
    [formatLine(0, 'bogus'), /unknown kind/],
    [formatLine(0, 'slot', { i: 2 }), /slot: ticks must be a decimal/],
    [formatLine(0, 'profile', { slots: 3, ticks: 9, crc32: '0badf00' }), /profile: crc32 must be 8 lowercase hex/],
    [formatLine(0, 'done', { runs: 1, runs2: 2 }).replace('runs2', 'runs'), /checksum mismatch/],
  ];
  for (const [line, reason] of cases) {
    const r = parseLine(line);
    assert.equal(r.ok, false, line);
    if (!r.ok) assert.match(r.reason, reason, line);
  }
  const v2body = '@rig2 0 done runs=1';
  const v2 = parseLine(`${v2body} *${hex32(crc32(v2body))}`);
  assert.ok(!v2.ok && /unsupported protocol "@rig2"/.test(v2.reason));
});

async function feed(chunks: readonly string[]): Promise<ParseResult[]> {
  const parser = new ReadlineParser({ delimiter: '\n', encoding: 'latin1' });
  const out: ParseResult[] = [];
  parser.on('data', (line: string) => out.push(parseLine(line)));
  for (const c of chunks) parser.write(Buffer.from(c, 'latin1'));
  parser.end();
  await new Promise((resolve) => parser.on('end', resolve).resume());
  return out;
}

test('lines split across chunks at every position reassemble exactly', async () => {
  const text =
    [
      formatLine(0, 'hello', { proto: 1, fw: 'abcd1234', model: 'tiny-cnn', schedule: 'layer', board: 'f746', timer: 'systick', arena: 6144 }),
      formatLine(1, 'start', { warmup: 1, runs: 5, in_crc32: '6ad5a9f0' }),
      formatLine(2, 'time', { i: 0, ticks: 4242, crc32: '0badf00d' }),
    ].join('\r\n') + '\r\n';
  const whole = await feed([text]);
  assert.deepEqual(
    whole.map((r) => r.ok),
    [true, true, true],
  );
  for (let cut = 1; cut < text.length; cut++) {
    assert.deepEqual(await feed([text.slice(0, cut), text.slice(cut)]), whole, `cut at ${cut}`);
  }
  // Byte by byte.
  assert.deepEqual(await feed([...text]), whole);
});

test('a line cut short and glued to the next is rejected, the next whole line is kept', async () => {
  const a = formatLine(3, 'time', { i: 1, ticks: 100, crc32: '11111111' });
  const b = formatLine(4, 'time', { i: 2, ticks: 101, crc32: '22222222' });
  const results = await feed([a.slice(0, 20), b + '\n', b.replace(' 4 ', ' 5 ') + '\n']);
  assert.equal(results.length, 2);
  assert.equal(results[0]!.ok, false);
  assert.equal(results[1]!.ok, false); // seq edited without fixing the checksum
  const good = await feed([a + '\n' + b.slice(0, 10), b.slice(10) + '\n']);
  assert.deepEqual(
    good.map((r) => r.ok && r.message.kind === 'time' && r.message.ticks),
    [100, 101],
  );
});

test('the selftest lines parse: a pong with a 256-byte payload, a mark, an end; a mark whose check is no verdict is rejected', () => {
  const data = 'x'.repeat(250) + '/:.-_A';
  assert.deepEqual(parseLine(formatLine(3, 'pong', { n: 256, data })), { ok: true, message: { kind: 'pong', seq: 3, n: 256, data } });
  assert.deepEqual(parseLine(formatLine(4, 'mark', { i: 1, cycles: 4294967295, ticks: 27000000, check: 'pass' })), {
    ok: true,
    message: { kind: 'mark', seq: 4, i: 1, cycles: 4294967295, ticks: 27000000, check: 'pass' },
  });
  assert.deepEqual(parseLine(formatLine(5, 'end', { pings: 20, marks: 2 })), { ok: true, message: { kind: 'end', seq: 5, pings: 20, marks: 2 } });
  const maybe = parseLine(formatLine(6, 'mark', { i: 1, cycles: 1, ticks: 1, check: 'maybe' }));
  assert.ok(!maybe.ok && maybe.reason === 'mark: check must be pass, fail or na', JSON.stringify(maybe));
  const noData = parseLine(formatLine(7, 'pong', { n: 3 }));
  assert.ok(!noData.ok && noData.reason === 'pong: data is missing', JSON.stringify(noData));
});

test('a start line carries the input CRC; out lines carry output bytes as hex pairs, and nothing else parses as them', () => {
  assert.deepEqual(parseLine(formatLine(1, 'start', { warmup: 0, runs: 1, in_crc32: '6ad5a9f0' })), {
    ok: true,
    message: { kind: 'start', seq: 1, warmup: 0, runs: 1, inCrc32: '6ad5a9f0' },
  });
  const noInput = parseLine(formatLine(1, 'start', { warmup: 0, runs: 1 }));
  assert.ok(!noInput.ok && noInput.reason === 'start: in_crc32 must be 8 lowercase hex digits', JSON.stringify(noInput));
  assert.deepEqual(parseLine(formatLine(9, 'out', { at: 64, hex: '00ff7f80' })), {
    ok: true,
    message: { kind: 'out', seq: 9, at: 64, bytes: Uint8Array.of(0, 255, 127, 128) },
  });
  for (const hex of ['0ff', '00FF', '0g', '_']) {
    const r = parseLine(formatLine(9, 'out', { at: 0, hex }));
    assert.ok(!r.ok && r.reason === 'out: hex must be pairs of lowercase hex digits', `${hex}: ${JSON.stringify(r)}`);
  }
});
