import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../util/errors.js';
import { parseBytes, searchSetup } from './search.js';

test('sizes parse as the papers count them, and nonsense is refused', () => {
  assert.equal(parseBytes('256KB', '--budget'), 262_144);
  assert.equal(parseBytes('320 KiB', '--budget'), 327_680);
  assert.equal(parseBytes('1.5kb', '--budget'), 1536);
  assert.equal(parseBytes('9000', '--budget'), 9000);
  assert.equal(parseBytes('1MB', '--budget'), 1_048_576);
  for (const bad of ['', 'KB', '12 apples', '-4KB'])
    assert.throws(
      () => parseBytes(bad, '--budget'),
      (e: unknown) => e instanceof UserError && /--budget .*expected a size such as 256KB/.test(e.message),
    );
});

test('a budget names where it came from: a given size, a MAC ratio, or the board less its stack', async () => {
  assert.deepEqual(await searchSetup({ kind: 'bytes', bytes: 1024, given: '--budget 1KB' }), {
    objective: { kind: 'cost', budgetBytes: 1024 },
    budgetSource: 'arena ≤ 1,024 B (--budget 1KB)',
  });
  assert.deepEqual(await searchSetup({ kind: 'macs', macBudget: 1.2 }), {
    objective: { kind: 'memory', macBudget: 1.2 },
    budgetSource: 'MACs ≤ 1.2× layer-wise',
  });
  const board = await searchSetup({ kind: 'board', board: 'f746' });
  assert.deepEqual(board.objective, { kind: 'cost', budgetBytes: 327_680 - 8192 });
  assert.match(board.budgetSource, /^arena ≤ 319,488 B \(f746: 327,680 B SRAM less 8,192 B stack\)$/);
});
