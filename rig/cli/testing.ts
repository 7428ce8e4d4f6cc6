// Runs the built rig CLI as a user would, for the CLI tests.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../util/paths.js';

const run = promisify(execFile);
export const CLI = join(ROOT, 'dist', 'rig', 'cli', 'main.js');

export async function rigCli(args: string[], cwd: string, env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args], {
      cwd,
      timeout: 300_000,
      maxBuffer: 16 << 20,
      ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
