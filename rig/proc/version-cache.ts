// A tool's version line, asked once per installed binary: the answer is kept in the user's cache
// folder ($XDG_CACHE_HOME/rig, else ~/.cache/rig), keyed by the file PATH finds (links resolved)
// with its device, inode, size, modification and change times. A tool upgraded, rebuilt, touched
// or shadowed by another on PATH is a new key, so a kept line is never another binary's. Only an
// ELF executable named as the tool is kept: a script or a launcher (ccache) may run a tool that
// changes while it does not. A cache folder that cannot be read or written only costs the query.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, delimiter, isAbsolute, join } from 'node:path';
import { createDebug } from '../util/log.js';
import { runTool, type ToolOptions } from './run.js';

const debug = createDebug('proc');
const ELF_MAGIC = '\x7fELF';

export function versionCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'rig', 'tool-versions');
}

/** The file `name` runs as, found on PATH as the kernel's execvp finds it, links resolved; null when none is. */
async function locate(name: string): Promise<string | null> {
  const path = process.env['PATH'];
  if (path === undefined || path === '') return null;
  for (const dir of name.includes('/') ? [''] : path.split(delimiter)) {
    const candidate = name.includes('/') ? name : join(dir === '' ? '.' : dir, name);
    try {
      await access(candidate, constants.X_OK);
      const real = await realpath(candidate);
      if ((await stat(real)).isFile()) return real;
    } catch {
      // not here: the next directory
    }
  }
  return null;
}

/** The cache key of a binary that may be kept, or null: a script, or a file named other than the tool. */
async function binaryKey(name: string, args: readonly string[]): Promise<string | null> {
  const file = await locate(name);
  if (file === null || !basename(file).startsWith(basename(name))) return null;
  const handle = await open(file, 'r');
  try {
    const { buffer } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    if (buffer.toString('latin1') !== ELF_MAGIC) return null;
    const s = await handle.stat({ bigint: true });
    const identity = [file, ...args, s.dev, s.ino, s.size, s.mtimeNs, s.ctimeNs].map(String);
    return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
  } finally {
    await handle.close();
  }
}

/** The first line `name args` prints on stdout ('unknown' when none); a successful answer is kept for the binary. */
export async function toolVersionLine(name: string, args: readonly string[], options: ToolOptions, cacheDir = versionCacheDir()): Promise<string> {
  const key = await binaryKey(name, args).catch(() => null);
  const entry = key === null ? null : join(cacheDir, `${key}.json`);
  if (entry !== null) {
    const kept = await readFile(entry, 'utf8').then(
      (text) => (JSON.parse(text) as { line?: unknown }).line,
      () => undefined,
    );
    if (typeof kept === 'string' && kept !== '') return kept;
  }
  const r = await runTool(name, args, options);
  const line = r.stdout.split('\n')[0]?.trim() ?? '';
  if (r.exitCode !== 0 || line === '') return line || 'unknown';
  if (entry !== null) {
    // Written aside and renamed into place: a reader never sees half an entry.
    const aside = `${entry}.${process.pid}.tmp`;
    await mkdir(cacheDir, { recursive: true })
      .then(() => writeFile(aside, JSON.stringify({ tool: name, args, line })))
      .then(() => rename(aside, entry))
      .catch((error: unknown) => debug(`cannot keep ${name}'s version in ${cacheDir}: ${String(error)}`));
  }
  return line;
}
