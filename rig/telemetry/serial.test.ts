// The serial link over a real pseudo-terminal: python3's pty module plays the far end.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSerialLink } from './serial.js';

// Opens a pty pair, prints the slave's path, waits for "go" on stdin, then writes `count` lines to
// the master in one burst, echoes back what the host wrote, and exits on "end".
const FAR_END = `
import os, pty, signal, sys, tty
signal.alarm(15)  # never outlive a test that went wrong
master, slave = pty.openpty()
tty.setraw(slave)
print(os.ttyname(slave), flush=True)
sys.stdin.readline()
count = int(sys.argv[1])
os.write(master, b"".join(b"line %d\\n" % i for i in range(count)))
got = b""
while not got.endswith(b"end\\n"):
    got += os.read(master, 100)
print(got.decode().replace("\\n", "|"), flush=True)
`;

test('lines that pile up while the host is busy still arrive one by one', { timeout: 20_000 }, async () => {
  const far = spawn('python3', ['-c', FAR_END, '500'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let farOutput = '';
  far.stdout.on('data', (d: Buffer) => (farOutput += d.toString()));
  const farExit = once(far, 'exit');
  try {
    while (!farOutput.includes('\n')) await once(far.stdout, 'data');
    const link = await openSerialLink(farOutput.trim());
    try {
      far.stdin.write('go\n');
      // Let the whole burst land in the parser before reading a single line.
      await sleep(300);
      const lines: string[] = [];
      for (let i = 0; i < 500; i++) {
        const r = await link.lines.next();
        assert.equal(r.done, false);
        lines.push(r.value as string);
      }
      assert.deepEqual(
        lines,
        Array.from({ length: 500 }, (_, i) => `line ${i}`),
      );
      await link.write('run 1 5\n');
      await link.write('end\n');
      await farExit;
      assert.equal(farOutput.split('\n')[1], 'run 1 5|end|');
    } finally {
      await link.close();
    }
  } finally {
    far.kill();
  }
});
