// The one place rig starts processes. Every call has a timeout, follows the run's AbortSignal,
// is force-killed after a grace period, and is killed when rig exits; arguments are argv arrays,
// never shell strings. Output is kept for the error message, which failureMessage writes for
// every caller alike.
//
// A child dies with rig however rig ends, kill -9 included. On Linux every tool is started through
// util-linux's setpriv, which asks the kernel for SIGKILL when its parent (rig) dies
// (PR_SET_PDEATHSIG) and execs a one-line guard: a shell that execs the tool only if its parent is
// still rig, which closes the moment between the fork and the prctl. Both exec in place, so the
// tool keeps the pid rig started, and its signals and exit status are its own.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { createDebug } from '../util/log.js';
import { UserError } from '../util/errors.js';

const debug = createDebug('proc');
const KILL_GRACE_MS = 2000;

export interface ToolOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  cwd?: string;
  env?: Record<string, string>;
  /** How to install the tool when it is missing, for the error message. */
  installHint?: string;
}

export interface ToolResult {
  /** The command as run, quoted for a shell. */
  command: string;
  exitCode: number | undefined;
  /** The signal that ended the process (SIGTERM after a timeout, SIGKILL after the grace period), if one did. */
  signal: string | undefined;
  /** Why the process never started (`openocd is not installed or not on PATH`, `spawn EACCES`), null when it ran. */
  notStarted: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  timeoutMs: number;
  canceled: boolean;
  durationMs: number;
  installHint: string | undefined;
}

export function commandLine(file: string, args: readonly string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The last lines of stderr a failure message shows. */
export const STDERR_TAIL_LINES = 8;

/**
 * The one message for a process that failed: the cause, the command as run, then the fix or the
 * tail of stderr (execa's lib/return/message.js). Callers put their own finding in front
 * (`openocd found no probe: …`) and never reword the rest.
 */
export function failureMessage(r: ToolResult): string {
  const cause =
    r.notStarted !== null
      ? `could not start (${r.notStarted})`
      : r.canceled
        ? 'canceled'
        : r.timedOut
          ? `timed out after ${r.timeoutMs} ms`
          : r.exitCode !== undefined
            ? `exit code ${r.exitCode}`
            : r.signal !== undefined
              ? `killed by ${r.signal}`
              : 'ended without an exit code';
  if (r.notStarted !== null) return `${cause}: ${r.command}${r.installHint === undefined ? '' : ` (${r.installHint})`}`;
  const lines = r.stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  const tail = lines.length === 0 ? '(it printed nothing on stderr)' : lines.slice(-STDERR_TAIL_LINES).join('\n');
  const cut = lines.length > STDERR_TAIL_LINES ? `(the last ${STDERR_TAIL_LINES} of ${lines.length} lines on stderr)\n` : '';
  return `${cause}: ${r.command}\n${cut}${tail}`;
}

/** An executable file, or undefined. */
function executable(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

/** Where `PATH` finds `file` (a name with a slash is taken as it is), or undefined: no realpath, so a tool keeps the name it was called by. */
export function findExecutable(file: string, path = process.env['PATH'] ?? '', cwd?: string): string | undefined {
  if (file.includes('/')) return executable(cwd === undefined || isAbsolute(file) ? file : join(cwd, file)) === undefined ? undefined : file;
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const found = executable(join(dir, file));
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The guard's shell script, a constant: $1 is rig's pid, the rest the tool and its arguments. A
 * shell whose parent is no longer rig (rig died before setpriv's prctl) runs nothing.
 */
const GUARD = '[ "$PPID" = "$1" ] || exit 137; shift; exec "$@"';

let guardTools: { setpriv: string; sh: string } | null | undefined;

/** setpriv and sh, when this system has both (Linux with util-linux); else null and children are started directly. */
function guardToolsOnce(): { setpriv: string; sh: string } | null {
  if (guardTools === undefined) {
    const setpriv = process.platform === 'linux' ? findExecutable('setpriv') : undefined;
    const sh = executable('/bin/sh');
    guardTools = setpriv === undefined || sh === undefined ? null : { setpriv, sh };
    if (guardTools === null) debug('setpriv not found: a child outlives rig if rig is killed with SIGKILL');
  }
  return guardTools;
}

/** The file and arguments that start `file` tied to rig's life: through setpriv and the guard where there are. */
export function tiedToRig(file: string, args: readonly string[]): [string, string[]] {
  const tools = guardToolsOnce();
  if (tools === null) return [file, [...args]];
  return [tools.setpriv, ['--pdeathsig', 'KILL', '--', tools.sh, '-c', GUARD, 'rig-guard', String(process.pid), file, ...args]];
}

function spawn(file: string, args: readonly string[], options: ToolOptions): ResultPromise<{ reject: false }> {
  debug(`$ ${commandLine(file, args)}`);
  // The tool is looked up here, so a missing one is told as before (ENOENT), not as the guard's exit 127.
  const found = findExecutable(file, options.env?.['PATH'] ?? process.env['PATH'] ?? '', options.cwd);
  const [spawnFile, spawnArgs] = found === undefined ? [file, [...args]] : tiedToRig(found, args);
  return execa(spawnFile, spawnArgs, {
    reject: false,
    timeout: options.timeoutMs,
    cancelSignal: options.signal,
    forceKillAfterDelay: KILL_GRACE_MS,
    cleanup: true,
    stdin: 'ignore',
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
  }) as ResultPromise<{ reject: false }>;
}

function toResult(file: string, args: readonly string[], r: Awaited<ResultPromise<{ reject: false }>>, options: ToolOptions): ToolResult {
  const code = (r as { code?: string }).code;
  // execa reports a process that never started as failed with an error code and no exit code.
  const notStarted =
    !r.failed || r.exitCode !== undefined || r.signal !== undefined || r.timedOut || r.isCanceled
      ? null
      : code === 'ENOENT'
        ? `${file} is not installed or not on PATH`
        : `spawn ${code ?? 'failed'}`;
  const result: ToolResult = {
    command: commandLine(file, args),
    exitCode: r.exitCode,
    signal: r.signal,
    notStarted,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    timedOut: r.timedOut,
    timeoutMs: options.timeoutMs,
    canceled: r.isCanceled,
    durationMs: r.durationMs,
    installHint: options.installHint,
  };
  // A missing tool is the user's to install: it stops the command, with the hint.
  if (code === 'ENOENT' && notStarted !== null) throw new UserError(failureMessage(result), { exitCode: 127 });
  return result;
}

/** Runs a tool to completion. Never throws for a non-zero exit: the caller decides. */
export async function runTool(file: string, args: readonly string[], options: ToolOptions): Promise<ToolResult> {
  const r = await spawn(file, args, options);
  return toResult(file, args, r, options);
}

/** A process that keeps running while rig talks to it (QEMU). */
export interface LongRunning {
  readonly pid: number | undefined;
  /** Resolves with the first match of `pattern` in stdout or stderr, rejects if the process ends first. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Resolves when the process has ended. */
  readonly done: Promise<ToolResult>;
  kill(): void;
}

export function startTool(file: string, args: readonly string[], options: ToolOptions): LongRunning {
  const child = spawn(file, args, options);
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer | string) => {
    output += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let ended = false;
  const done = child.then((r) => {
    ended = true;
    for (const l of listeners) l();
    return toResult(file, args, r, options);
  });
  // A rejection is seen through waitForOutput or done; never unhandled.
  done.catch(() => {});

  return {
    pid: child.pid,
    done,
    kill() {
      if (!ended) child.kill('SIGKILL');
    },
    waitForOutput(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = output.match(pattern);
          if (m) finish(() => resolve(m));
          else if (ended) {
            done.then(
              (r) => finish(() => reject(new Error(`${file} ended before printing ${pattern}: ${failureMessage(r)}`))),
              (e: unknown) => finish(() => reject(e)),
            );
          }
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`${commandLine(file, args)} printed nothing matching ${pattern} within ${timeoutMs} ms`))),
          timeoutMs,
        );
        const finish = (f: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        listeners.add(check);
        check();
      });
    },
  };
}
