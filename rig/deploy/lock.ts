// One rig process per physical board. A board's lock is the kernel's record lock (fcntl) on a
// file per probe, taken through SQLite (an exclusive transaction on `<name>.lock.db`, the one way to
// such a lock from Node without a native addon of rig's own). The kernel grants it to one process
// at a time and drops it when the holder exits, however it exits: taking it is atomic, a lock
// left by a process that is gone is simply free, and a reused pid is never mistaken for the owner.
// Beside it, `<name>.owner` names the holder (pid, the process's start time, host, since when),
// written once the lock is held: it is only read to say who holds the board.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { UserError } from '../util/errors.js';
import { progress } from '../util/log.js';
import { processStart } from '../proc/identity.js';

const POLL_MS = 1_000;

export interface BoardLock {
  release(): void;
}

interface Owner {
  pid: number;
  /** The process's start time, in clock ticks since boot (/proc/<pid>/stat, field 22); null off Linux. */
  start: string | null;
  host: string;
  since: string;
}

function readOwner(path: string): Owner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Partial<Owner>;
    return typeof o.pid === 'number' ? { pid: o.pid, start: o.start ?? null, host: o.host ?? '?', since: o.since ?? '?' } : null;
  } catch {
    return null;
  }
}

/** Who holds a lock, as far as its owner file says; "another rig process" when it cannot tell. */
function holder(ownerPath: string): string {
  const o = readOwner(ownerPath);
  if (o === null) return 'another rig process';
  const same = o.host === hostname() && o.start !== null && processStart(o.pid) === o.start;
  return same ? `rig process ${o.pid} (since ${o.since})` : 'another rig process';
}

/** The lock, when no other process holds it; null when one does. */
function tryLock(path: string): Database.Database | null {
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('journal_mode = DELETE');
    db.exec('BEGIN EXCLUSIVE');
    return db;
  } catch (error) {
    db.close();
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return null;
    throw new UserError(`Cannot take the board lock ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Takes the lock named `name` in `dir`; waits while another live process holds it, unless `wait` is false. */
export async function lockBoard(dir: string, name: string, { wait, signal }: { wait: boolean; signal?: AbortSignal | undefined }): Promise<BoardLock> {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, name.replace(/[^A-Za-z0-9_.-]/g, '_'));
  const path = `${base}.lock.db`;
  const ownerPath = `${base}.owner`;
  let told = false;
  for (;;) {
    const db = tryLock(path);
    if (db !== null) {
      const owner: Owner = { pid: process.pid, start: processStart(process.pid), host: hostname(), since: new Date().toISOString() };
      const tmp = `${ownerPath}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(owner)}\n`);
      renameSync(tmp, ownerPath);
      let held = true;
      return {
        release: () => {
          if (!held) return;
          held = false;
          // The owner file goes first: once the lock is free, another process may write its own.
          rmSync(ownerPath, { force: true });
          db.close();
        },
      };
    }
    const who = holder(ownerPath);
    if (!wait) throw new UserError(`${name} is in use by ${who} (lock ${path}); without --no-wait rig waits for it`);
    if (!told) progress(`${name} is in use by ${who}; waiting for it (Ctrl-C to stop)`);
    told = true;
    await sleep(POLL_MS, undefined, { signal });
  }
}
