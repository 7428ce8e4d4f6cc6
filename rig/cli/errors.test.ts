import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlanRefusal } from '../schedule/refusal.js';
import { UserError } from '../util/errors.js';
import { asCommandLineError } from './errors.js';

test('a planner refusal reads as the option it came from, a usage error', () => {
  const e = asCommandLineError(
    new PlanRefusal('split', 9, 'expected a whole number of blocks from 1 to 4 (the rest of tiny-cnn must keep at least one block)'),
  );
  assert.ok(e instanceof UserError);
  assert.equal(e.message, '--split 9: expected a whole number of blocks from 1 to 4 (the rest of tiny-cnn must keep at least one block)');
  assert.equal(e.exitCode, 2);
  assert.match((asCommandLineError(new PlanRefusal('patches', 40, 'r')) as Error).message, /^--patches 40: r$/);
  const other = new Error('a bug');
  assert.equal(asCommandLineError(other), other);
});
