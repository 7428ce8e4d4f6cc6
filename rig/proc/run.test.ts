import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../util/errors.js';
import { failureMessage, runTool, type ToolResult } from './run.js';

const node = process.execPath;

function result(over: Partial<ToolResult>): ToolResult {
  return {
    command: 'arm-none-eabi-gcc -O2 -o fw.elf main.c',
    exitCode: 1,
    signal: undefined,
    notStarted: null,
    stdout: '',
    stderr: '',
    timedOut: false,
    timeoutMs: 300_000,
    canceled: false,
    durationMs: 12,
    installHint: undefined,
    ...over,
  };
}

test('a non-zero exit: the code, the command, the tail of stderr', async () => {
  const r = await runTool(node, ['-e', 'console.error("main.c:3: error: expected ;"); process.exit(3)'], { timeoutMs: 10_000 });
  assert.equal(failureMessage(r), `exit code 3: ${node} -e 'console.error("main.c:3: error: expected ;"); process.exit(3)'\nmain.c:3: error: expected ;`);
});

test('a timeout names the time allowed', async () => {
  // Long enough for Node to start and print on a loaded machine; the child would wait a minute.
  const r = await runTool(node, ['-e', 'console.error("waiting"); setTimeout(() => {}, 60000)'], { timeoutMs: 3000 });
  assert.ok(r.timedOut);
  assert.match(failureMessage(r), /^timed out after 3000 ms: \S+ -e '.*'\nwaiting$/);
});

test('a process killed by a signal says which', async () => {
  const r = await runTool(node, ['-e', 'process.kill(process.pid, "SIGKILL")'], { timeoutMs: 10_000 });
  assert.match(failureMessage(r), /^killed by SIGKILL: \S+ -e 'process\.kill\(process\.pid, "SIGKILL"\)'\n\(it printed nothing on stderr\)$/);
});

test('a tool that is not installed stops the command: it could not start, with the install hint', async () => {
  await assert.rejects(runTool('rig-no-such-tool', ['--version'], { timeoutMs: 10_000, installHint: 'install it with ./scripts/setup.sh' }), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.equal(e.exitCode, 127);
    assert.equal(
      e.message,
      'could not start (rig-no-such-tool is not installed or not on PATH): rig-no-such-tool --version (install it with ./scripts/setup.sh)',
    );
    return true;
  });
});

test('empty stderr is said so; blank lines are skipped; a long stderr is cut to its last 8 lines', () => {
  assert.equal(failureMessage(result({ stderr: '' })), 'exit code 1: arm-none-eabi-gcc -O2 -o fw.elf main.c\n(it printed nothing on stderr)');
  assert.equal(failureMessage(result({ stderr: '\n  \n' })), 'exit code 1: arm-none-eabi-gcc -O2 -o fw.elf main.c\n(it printed nothing on stderr)');
  const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
  const message = failureMessage(result({ stderr: `${lines.join('\n\n')}\n` }));
  assert.equal(message, ['exit code 1: arm-none-eabi-gcc -O2 -o fw.elf main.c', '(the last 8 of 20 lines on stderr)', ...lines.slice(12)].join('\n'));
  assert.equal(failureMessage(result({ stderr: 'a\nb\nc\nd\ne\nf\ng\nh\n' })).split('\n').length, 9);
});

test('an argument with spaces or quotes is quoted as a shell would need it', async () => {
  const r = await runTool(node, ['-e', 'process.exit(2)', '/tmp/my build/fw.elf', "it's"], { timeoutMs: 10_000 });
  assert.equal(failureMessage(r), `exit code 2: ${node} -e 'process.exit(2)' '/tmp/my build/fw.elf' 'it'\\''s'\n(it printed nothing on stderr)`);
  assert.equal(failureMessage(result({ notStarted: 'spawn EACCES', command: './fw tool' })), 'could not start (spawn EACCES): ./fw tool');
});
