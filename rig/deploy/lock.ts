// One rig process per physical board: a lock file per probe, created exclusively and holding the
// owner's pid. A lock whose owner is gone is taken over; a live one is waited for, or refused.
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../util/errors.js';
import { progress } from '../util/log.js';

const POLL_MS = 1_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface BoardLock {
  release(): void;
}

/** Takes the lock named `name` in `dir`; waits while another live process holds it, unless `wait` is false. */
export async function lockBoard(dir: string, name: string, { wait, signal }: { wait: boolean; signal?: AbortSignal | undefined }): Promise<BoardLock> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return { release: () => rmSync(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (!Number.isInteger(owner) || !alive(owner)) {
      rmSync(path, { force: true }); // left by a process that is gone
      continue;
    }
    if (!wait) throw new UserError(`${name} is in use by rig process ${owner} (lock ${path}); without --no-wait rig waits for it`);
    if (!told) progress(`${name} is in use by rig process ${owner}; waiting for it (Ctrl-C to stop)`);
    told = true;
    await sleep(POLL_MS, undefined, { signal });
  }
}
