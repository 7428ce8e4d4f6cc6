// Rows measured while the database stayed locked: kept in memory and written when it can be, and
// what still cannot be written at the end of the run appended to a side file beside the database
// (`rig.db.pending.jsonl`, one run a line), which `rig results import` stores later.
import { appendFileSync, readFileSync } from 'node:fs';
import type { ResultRow } from '../results/row.js';
import { UserError } from '../util/errors.js';
import { Store, StoreBusyError, type PendingRun, type RunInfo, type RunStatus } from './db.js';

export type { PendingRun };

export function pendingPath(db: string): string {
  return `${db}.pending.jsonl`;
}

/** A run's writes: a row the database refuses for its lock waits in memory for the next write. */
export class RunWriter {
  private readonly queue: { createdAt: string; row: ResultRow }[] = [];
  private finish: { status: Exclude<RunStatus, 'running'>; endedAt: string } | null = null;
  /** A write was kept out: later ones do not wait the whole timeout again until the end. */
  private behind = false;

  constructor(
    private readonly store: Store,
    readonly runId: number,
    private readonly info: RunInfo,
  ) {}

  addResult(row: ResultRow): void {
    this.queue.push({ createdAt: new Date().toISOString(), row });
    this.flush(this.behind ? 0 : this.store.busyTimeoutMs);
  }

  finishRun(status: Exclude<RunStatus, 'running'>): void {
    this.finish = { status, endedAt: new Date().toISOString() };
    this.flush(this.behind ? 0 : this.store.busyTimeoutMs);
  }

  /**
   * Writes what waits, for up to the whole busy timeout; what still cannot be written is appended
   * to the side file. Returns that file and how many rows went there, or null when all is stored.
   */
  close(): { file: string; rows: number } | null {
    if (this.queue.length === 0 && this.finish === null) return null;
    this.flush(this.store.busyTimeoutMs);
    if (this.queue.length === 0 && this.finish === null) return null;
    const file = pendingPath(this.store.path);
    const record: PendingRun = {
      kind: 'rig-pending-run',
      version: 1,
      runId: this.runId,
      run: this.info,
      status: this.finish?.status ?? null,
      endedAt: this.finish?.endedAt ?? null,
      rows: this.queue.splice(0),
    };
    appendFileSync(file, `${JSON.stringify(record)}\n`);
    this.finish = null;
    return { file, rows: record.rows.length };
  }

  private flush(timeoutMs: number): void {
    try {
      this.store.withBusyTimeout(timeoutMs, () => {
        while (this.queue.length > 0) {
          const { createdAt, row } = this.queue[0]!;
          this.store.addResult(row, createdAt);
          this.queue.shift();
        }
        if (this.finish !== null) {
          this.store.finishRun(this.runId, this.finish.status, this.finish.endedAt);
          this.finish = null;
        }
      });
      this.behind = false;
    } catch (error) {
      if (!(error instanceof StoreBusyError)) throw error;
      this.behind = true;
    }
  }
}

/** The runs of a side file, each line checked. */
export function readPending(file: string): PendingRun[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(`Cannot read ${file}: ${(error as Error).message}`, { exitCode: 2 });
  }
  return text
    .split('\n')
    .map((line, i) => [line, i + 1] as const)
    .filter(([line]) => line.trim() !== '')
    .map(([line, n]) => {
      let r: Partial<PendingRun>;
      try {
        r = JSON.parse(line) as Partial<PendingRun>;
      } catch {
        throw new UserError(`${file}:${n}: not JSON; expected one run of rows rig could not store per line`, { exitCode: 2 });
      }
      if (r.kind !== 'rig-pending-run' || r.version !== 1 || typeof r.run !== 'object' || !Array.isArray(r.rows))
        throw new UserError(`${file}:${n}: not a run of rows rig could not store (kind rig-pending-run, version 1)`, { exitCode: 2 });
      return r as PendingRun;
    });
}

/** Stores the runs and rows of a side file in the database `db` (created when missing); see Store.importRuns. */
export function importPending(db: string, file: string): { runs: number; rows: number; skipped: number } {
  const runs = readPending(file);
  const store = new Store(db);
  try {
    return store.importRuns(runs);
  } finally {
    store.close();
  }
}
