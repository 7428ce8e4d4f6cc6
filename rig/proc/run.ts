// The one place rig starts processes. Every call has a timeout, follows the run's AbortSignal,
// is force-killed after a grace period, and is killed when rig exits; arguments are argv arrays,
// never shell strings. Output is kept for the error message.
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
  command: string;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  canceled: boolean;
  durationMs: number;
}

export function commandLine(file: string, args: readonly string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function notFound(file: string, hint: string | undefined): UserError {
  return new UserError(`${file} is not installed or not on PATH${hint === undefined ? '' : ` (${hint})`}`, { exitCode: 127 });
}

function spawn(file: string, args: readonly string[], options: ToolOptions): ResultPromise<{ reject: false }> {
  debug(`$ ${commandLine(file, args)}`);
  return execa(file, args, {
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
  if (r.failed && code === 'ENOENT') throw notFound(file, options.installHint);
  return {
    command: commandLine(file, args),
    exitCode: r.exitCode,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    timedOut: r.timedOut,
    canceled: r.isCanceled,
    durationMs: r.durationMs,
  };
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
              (r) => finish(() => reject(new Error(`${r.command} ended (exit ${r.exitCode}) before printing ${pattern}: ${(r.stdout + r.stderr).trim().slice(-500)}`))),
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
