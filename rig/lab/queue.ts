// The lab's job queue: one BullMQ queue on Redis per board kind and runner (`rig-f746-qemu`,
// `rig-f746-hardware`), a job per benchmark case, taken by the `rig worker` of a host that has such
// a board. A worker holds its job's lock while it runs and renews it; a worker that dies loses it
// when the lock expires, and the job runs again on another worker (BullMQ's stalled jobs). What a
// job carries and what it returns are defined here; the dispatcher is dispatch.ts, the worker
// worker.ts.
import type { ConnectionOptions } from 'bullmq';
import type { LabAttempt, ResultRow, RunnerKind, LabInfo } from '../results/row.js';
import type { ScheduleName } from '../schedule/plan.js';
import { UserError } from '../util/errors.js';

/** A model a worker can rebuild to the byte: a built-in name, or a spec's JSON content. */
export type LabModel = { readonly name: string } | { readonly spec: unknown; readonly file: string };

/** One benchmark case, as the dispatcher enqueues it. */
export interface LabJob {
  /** The run this case belongs to (its uid in the dispatcher's store) and its index in it. */
  readonly run: string;
  readonly index: number;
  readonly model: LabModel;
  readonly seed: number;
  readonly schedule: ScheduleName;
  readonly options: Readonly<Record<string, number>>;
  readonly kernels: string;
  readonly warmup: number;
  readonly runs: number;
  readonly timeoutMs: number;
  /** Each worker that started the case, in order (a worker that died left its entry). */
  readonly attempts?: readonly LabAttempt[];
}

/** What a worker returns for a case: the row (without a run id) and where it ran. */
export interface LabResult {
  readonly row: Omit<ResultRow, 'runId' | 'lab'>;
  readonly lab: LabInfo;
  readonly toolchain: Readonly<Record<string, string>>;
}

/** The queue of one board kind and runner. */
export function queueName(boardId: string, runner: RunnerKind): string {
  return `rig-${boardId}-${runner}`;
}

/** A case's job id: the run's uid and the case's index, so that enqueueing a case again adds nothing. */
export function jobId(run: string, index: number): string {
  return `${run}-${index}`;
}

/** `redis://[user:password@]host[:port][/db]` as the connection BullMQ takes; `what` names the option in errors. */
export function parseQueueUrl(url: string, what = '--queue'): ConnectionOptions & { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`${what} ${url}: expected a Redis URL like redis://lab-host:6379 (or redis://:password@lab-host:6379/0)`, { exitCode: 2 });
  }
  if (parsed.protocol !== 'redis:') throw new UserError(`${what} ${url}: expected a redis:// URL, found ${parsed.protocol}//`, { exitCode: 2 });
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const db = parsed.pathname === '' || parsed.pathname === '/' ? 0 : Number(parsed.pathname.slice(1));
  if (!Number.isInteger(db) || db < 0)
    throw new UserError(`${what} ${url}: expected a database number after the host, found ${parsed.pathname.slice(1)}`, { exitCode: 2 });
  return {
    host: parsed.hostname,
    port,
    db,
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
    // A worker's blocking commands must wait through a Redis restart rather than fail.
    maxRetriesPerRequest: null,
  };
}

/** The URL with its password hidden, for messages and stored run arguments. */
export function shownQueueUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
