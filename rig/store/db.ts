// The results store: one SQLite file (WAL), runs and their result rows.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../util/errors.js';
import { MIGRATIONS } from './migrations.js';
import type { LatencyUnit, Profile, ResultRow, ResultStatus, RunnerKind } from '../results/row.js';

/** `abandoned`: left `running` by a process that no longer exists (killed with SIGKILL, or its machine went down). */
export type RunStatus = 'running' | 'complete' | 'failed' | 'interrupted' | 'abandoned';
export type NightlyStatus = 'running' | 'passed' | 'regressed' | 'failed' | 'interrupted' | 'abandoned';

export interface RunInfo {
  startedAt: string;
  gitRevision: string | null;
  host: string;
  toolchain: Record<string, string>;
  board: string;
  runner: RunnerKind;
  args: unknown;
  /** The nightly run of a suite this run belongs to, if any. */
  nightlyId?: number | null;
}

export interface StoredRun extends RunInfo {
  id: number;
  status: RunStatus;
  endedAt: string | null;
  nightlyId: number | null;
}

export interface Nightly {
  id: number;
  suite: string;
  startedAt: string;
  endedAt: string | null;
  status: NightlyStatus;
  /** The earlier nightly of the same suite it was compared with. */
  baselineId: number | null;
  summary: unknown;
}

/** Filters of a results listing; all optional, combined with AND. */
export interface RowFilter {
  runIds?: readonly number[] | undefined;
  board?: string | undefined;
  model?: string | undefined;
  schedule?: string | undefined;
  runner?: RunnerKind | undefined;
  status?: ResultStatus | undefined;
  /** The newest this many rows. */
  limit?: number | undefined;
}

export interface StoredResult extends ResultRow {
  id: number;
  createdAt: string;
}

interface ResultRecord {
  id: number;
  created_at: string;
  run_id: number;
  model: string;
  schedule: string;
  board: string;
  runner: RunnerKind;
  status: ResultStatus;
  detail: string | null;
  latency_unit: LatencyUnit | null;
  latency_n: number | null;
  latency_min: number | null;
  latency_median: number | null;
  latency_max: number | null;
  samples_json: string | null;
  planned_arena_bytes: number;
  measured_arena_bytes: number | null;
  stack_bytes: number | null;
  flash_bytes: number | null;
  static_ram_bytes: number | null;
  macs: number;
  output_crc32: string | null;
  reference_crc32: string;
  input_crc32: string | null;
  kernel_variant: string | null;
  firmware_id: string | null;
  seed: number;
  schedule_options_json: string;
  paper_peak_bytes: number | null;
  layerwise_macs: number | null;
  profile_json: string | null;
}

/** A column and the value it must equal; undefined matches any. */
type Condition = readonly [string, string | number | undefined];

export const DB_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export class Store {
  readonly path: string;
  private readonly db: Database.Database;

  constructor(path: string) {
    this.path = path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
    } catch (error) {
      throw new UserError(`Cannot open the results database ${path}: ${(error as Error).message}`);
    }
    this.migrate();
    this.markAbandoned();
  }

  /** An existing results file, for commands that only read it: a missing one is never created. */
  static existing(path: string): Store {
    if (path !== ':memory:' && !existsSync(path)) throw new UserError(`No results database at ${path}: run \`rig bench\` first (or give --db)`);
    return new Store(path);
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > DB_VERSION) {
      throw new UserError(`${this.path} has schema version ${current}, newer than this rig's ${DB_VERSION}: update rig or use another --db`);
    }
    for (const m of MIGRATIONS.filter((m) => m.version > current)) {
      // PRAGMA foreign_keys is a no-op inside a transaction: it is turned off around it.
      if (m.rebuildsTables) this.db.pragma('foreign_keys = OFF');
      try {
        this.db.transaction(() => {
          this.db.exec(m.sql);
          if (m.rebuildsTables && (this.db.pragma('foreign_key_check') as unknown[]).length > 0) {
            throw new Error(`migration ${m.version} broke a foreign key`);
          }
          this.db.pragma(`user_version = ${m.version}`);
        })();
      } finally {
        if (m.rebuildsTables) this.db.pragma('foreign_keys = ON');
      }
    }
  }

  /**
   * Marks `abandoned` every run and nightly of this host left `running` by a process that no
   * longer exists (its pid is gone, or now belongs to a process started at another time); returns
   * how many. Every Store does it when it opens the file, so a listing or report never shows a
   * dead process's run as running. A row of another host is left: its process cannot be asked.
   */
  markAbandoned(endedAt = new Date().toISOString()): number {
    const host = hostname();
    let marked = 0;
    for (const table of ['runs', 'nightlies'] as const) {
      const rows = this.db.prepare(`SELECT id, pid, pid_start FROM ${table} WHERE status = 'running' AND host = ?`).all(host) as OwnerRecord[];
      const update = this.db.prepare(`UPDATE ${table} SET status = 'abandoned', ended_at = ? WHERE id = ? AND status = 'running'`);
      for (const r of rows) if (!ownerAlive(r)) marked += update.run(endedAt, r.id).changes;
    }
    return marked;
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  startRun(info: RunInfo): number {
    const r = this.db
      .prepare(
        `INSERT INTO runs (started_at, status, git_revision, host, toolchain_json, board, runner, args_json, nightly_id, pid, pid_start)
         VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        info.startedAt,
        info.gitRevision,
        info.host,
        JSON.stringify(info.toolchain),
        info.board,
        info.runner,
        JSON.stringify(info.args),
        info.nightlyId ?? null,
        process.pid,
        processStart(process.pid),
      );
    return Number(r.lastInsertRowid);
  }

  finishRun(runId: number, status: Exclude<RunStatus, 'running'>, endedAt = new Date().toISOString()): void {
    this.db.prepare('UPDATE runs SET ended_at = ?, status = ? WHERE id = ?').run(endedAt, status, runId);
  }

  addResult(row: ResultRow, createdAt = new Date().toISOString()): number {
    const rec: Omit<ResultRecord, 'id' | 'created_at'> = {
      run_id: row.runId,
      model: row.model,
      schedule: row.schedule,
      board: row.board,
      runner: row.runner,
      status: row.status,
      detail: row.detail,
      latency_unit: row.latency?.unit ?? null,
      latency_n: row.latency?.n ?? null,
      latency_min: row.latency?.min ?? null,
      latency_median: row.latency?.median ?? null,
      latency_max: row.latency?.max ?? null,
      samples_json: row.samples.length > 0 ? JSON.stringify(row.samples) : null,
      planned_arena_bytes: row.memory.plannedArenaBytes,
      measured_arena_bytes: row.memory.measuredArenaBytes,
      stack_bytes: row.memory.stackBytes,
      flash_bytes: row.memory.flashBytes,
      static_ram_bytes: row.memory.staticRamBytes,
      macs: row.macs,
      output_crc32: row.outputCrc32,
      reference_crc32: row.referenceCrc32,
      input_crc32: row.inputCrc32,
      kernel_variant: row.kernelVariant,
      firmware_id: row.firmwareId,
      seed: row.seed,
      schedule_options_json: JSON.stringify(row.scheduleOptions),
      paper_peak_bytes: row.memory.paperPeakBytes,
      layerwise_macs: row.layerwiseMacs,
      profile_json: row.profile === null ? null : JSON.stringify(row.profile),
    };
    const cols = Object.keys(rec);
    const r = this.db.prepare(`INSERT INTO results (created_at, ${cols.join(', ')}) VALUES (?, ${cols.map((c) => `@${c}`).join(', ')})`).run(createdAt, rec);
    return Number(r.lastInsertRowid);
  }

  results(runId: number): ResultRow[] {
    const recs = this.db.prepare('SELECT * FROM results WHERE run_id = ? ORDER BY id').all(runId) as ResultRecord[];
    return recs.map(fromRecord);
  }

  /** The `ok` rows of one model measured on one board and runner with one seed, newest first. */
  measured(model: string, board: string, runner: RunnerKind, seed: number): ResultRow[] {
    const recs = this.db
      .prepare("SELECT * FROM results WHERE model = ? AND board = ? AND runner = ? AND seed = ? AND status = 'ok' ORDER BY id DESC")
      .all(model, board, runner, seed) as ResultRecord[];
    return recs.map(fromRecord);
  }

  /** Result rows matching every given filter, oldest first (the newest `limit` of them). */
  rows(filter: RowFilter = {}): StoredResult[] {
    const { runIds } = filter;
    const conditions: Condition[] = [
      ['board', filter.board],
      ['model', filter.model],
      ['schedule', filter.schedule],
      ['runner', filter.runner],
      ['status', filter.status],
    ];
    const inRuns = runIds === undefined ? undefined : { sql: `run_id IN (${runIds.map(() => '?').join(', ') || 'NULL'})`, params: runIds };
    const recs = this.newest<ResultRecord>('results', conditions, filter.limit, inRuns);
    return recs.reverse().map((r) => ({ ...fromRecord(r), id: r.id, createdAt: r.created_at }));
  }

  /** Rows of `table` whose columns equal the given values (undefined: any), newest first. */
  private newest<T>(table: string, conditions: readonly Condition[], limit: number | undefined, extra?: { sql: string; params: readonly number[] }): T[] {
    const given = conditions.filter((c): c is [string, string | number] => c[1] !== undefined);
    const where = [...given.map(([column]) => `${column} = ?`), ...(extra === undefined ? [] : [extra.sql])];
    const params = [...given.map(([, value]) => value), ...(extra?.params ?? []), ...(limit === undefined ? [] : [limit])];
    const sql = `SELECT * FROM ${table}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC${limit === undefined ? '' : ' LIMIT ?'}`;
    return this.db.prepare(sql).all(...params) as T[];
  }

  /** One result row by its id. */
  result(id: number): StoredResult | undefined {
    const r = this.db.prepare('SELECT * FROM results WHERE id = ?').get(id) as ResultRecord | undefined;
    return r === undefined ? undefined : { ...fromRecord(r), id: r.id, createdAt: r.created_at };
  }

  run(runId: number): StoredRun | undefined {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRecord | undefined;
    return r === undefined ? undefined : fromRunRecord(r);
  }

  /** Runs, newest first. */
  runs(filter: { board?: string | undefined; runner?: RunnerKind | undefined; nightlyId?: number | undefined; limit?: number | undefined } = {}): StoredRun[] {
    const conditions: Condition[] = [
      ['board', filter.board],
      ['runner', filter.runner],
      ['nightly_id', filter.nightlyId],
    ];
    return this.newest<RunRecord>('runs', conditions, filter.limit).map(fromRunRecord);
  }

  startNightly(suite: string, baselineId: number | null, startedAt = new Date().toISOString()): number {
    const r = this.db
      .prepare("INSERT INTO nightlies (suite, started_at, status, baseline_id, host, pid, pid_start) VALUES (?, ?, 'running', ?, ?, ?, ?)")
      .run(suite, startedAt, baselineId, hostname(), process.pid, processStart(process.pid));
    return Number(r.lastInsertRowid);
  }

  finishNightly(id: number, status: Exclude<NightlyStatus, 'running'>, summary: unknown, endedAt = new Date().toISOString()): void {
    this.db.prepare('UPDATE nightlies SET ended_at = ?, status = ?, summary_json = ? WHERE id = ?').run(endedAt, status, JSON.stringify(summary), id);
  }

  nightly(id: number): Nightly | undefined {
    const r = this.db.prepare('SELECT * FROM nightlies WHERE id = ?').get(id) as NightlyRecord | undefined;
    return r === undefined ? undefined : fromNightlyRecord(r);
  }

  /** Nightly runs, newest first; of one suite, or with one status, when asked. */
  nightlies(filter: { suite?: string | undefined; status?: NightlyStatus | undefined; limit?: number | undefined } = {}): Nightly[] {
    return this.newest<NightlyRecord>(
      'nightlies',
      [
        ['suite', filter.suite],
        ['status', filter.status],
      ],
      filter.limit,
    ).map(fromNightlyRecord);
  }

  close(): void {
    this.db.close();
  }
}

interface OwnerRecord {
  id: number;
  pid: number | null;
  pid_start: string | null;
}

/** A process's start time: field 22 of /proc/<pid>/stat (clock ticks since boot), or null without /proc. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote a running row still runs: its pid exists and, where /proc tells, started when it did. */
function ownerAlive({ pid, pid_start }: OwnerRecord): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return pid_start === null || processStart(pid) === pid_start;
}

interface RunRecord {
  id: number;
  started_at: string;
  ended_at: string | null;
  status: RunStatus;
  git_revision: string | null;
  host: string;
  toolchain_json: string;
  board: string;
  runner: RunnerKind;
  args_json: string;
  nightly_id: number | null;
}

function fromRunRecord(r: RunRecord): StoredRun {
  return {
    id: r.id,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    status: r.status,
    gitRevision: r.git_revision,
    host: r.host,
    toolchain: JSON.parse(r.toolchain_json) as Record<string, string>,
    board: r.board,
    runner: r.runner,
    args: JSON.parse(r.args_json) as unknown,
    nightlyId: r.nightly_id,
  };
}

interface NightlyRecord {
  id: number;
  suite: string;
  started_at: string;
  ended_at: string | null;
  status: NightlyStatus;
  baseline_id: number | null;
  summary_json: string | null;
}

function fromNightlyRecord(r: NightlyRecord): Nightly {
  return {
    id: r.id,
    suite: r.suite,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    status: r.status,
    baselineId: r.baseline_id,
    summary: r.summary_json === null ? null : (JSON.parse(r.summary_json) as unknown),
  };
}

function fromRecord(r: ResultRecord): ResultRow {
  return {
    runId: r.run_id,
    model: r.model,
    schedule: r.schedule,
    scheduleOptions: JSON.parse(r.schedule_options_json) as Record<string, number>,
    board: r.board,
    runner: r.runner,
    status: r.status,
    detail: r.detail,
    latency: r.latency_unit === null ? null : { unit: r.latency_unit, n: r.latency_n!, min: r.latency_min!, median: r.latency_median!, max: r.latency_max! },
    samples: r.samples_json === null ? [] : (JSON.parse(r.samples_json) as number[]),
    memory: {
      plannedArenaBytes: r.planned_arena_bytes,
      measuredArenaBytes: r.measured_arena_bytes,
      stackBytes: r.stack_bytes,
      flashBytes: r.flash_bytes,
      staticRamBytes: r.static_ram_bytes,
      paperPeakBytes: r.paper_peak_bytes,
    },
    macs: r.macs,
    layerwiseMacs: r.layerwise_macs,
    outputCrc32: r.output_crc32,
    referenceCrc32: r.reference_crc32,
    inputCrc32: r.input_crc32,
    profile: r.profile_json === null ? null : (JSON.parse(r.profile_json) as Profile),
    kernelVariant: r.kernel_variant,
    firmwareId: r.firmware_id,
    seed: r.seed,
  };
}
