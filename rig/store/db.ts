// The results store: one SQLite file (WAL), runs and their result rows. Another program may hold
// the file's write lock for a while: every write waits for it up to the busy timeout
// (RIG_DB_TIMEOUT seconds, default 60), then fails with a StoreBusyError naming the file. A file
// that is not rig's is refused before anything is written to it, and a read-only one is read
// without migrating it. Runs and nightlies carry a globally unique uid beside their local id, so
// that stores made apart can be merged (Store.merge).
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { DEFAULTS } from '../defaults.js';
import { UserError } from '../util/errors.js';
import { MIGRATIONS } from './migrations.js';
import { planMerge, type LostReference } from './merge-plan.js';
import type { LabInfo, LatencyUnit, Profile, ResultRow, ResultStatus, RunnerKind } from '../results/row.js';
import { processStart } from '../proc/identity.js';

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
  /** The run's globally unique id (newUid); startRun gives one when absent. */
  uid?: string;
}

export interface StoredRun extends RunInfo {
  id: number;
  uid: string;
  status: RunStatus;
  endedAt: string | null;
  nightlyId: number | null;
}

export interface Nightly {
  id: number;
  /** Globally unique, unlike the id (newUid). */
  uid: string;
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
  external_flash_bytes: number | null;
  lab_json: string | null;
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

/** One run's writes that did not reach the database, as its side file keeps them (rig/store/pending.ts). */
export interface PendingRun {
  kind: 'rig-pending-run';
  version: 1;
  /** The run's id in the database the rows were meant for (its start was stored). */
  runId: number;
  /** The run as started; its uid is absent in files written before runs had one. */
  run: RunInfo;
  /** How the run ended; null when that was stored. */
  status: Exclude<RunStatus, 'running'> | null;
  endedAt: string | null;
  rows: { createdAt: string; row: ResultRow }[];
}

/** A column and the value it must equal; undefined matches any. */
type Condition = readonly [string, string | number | undefined];

export const DB_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** A new globally unique id of a run or nightly: 32 hex digits, the form migration 8 gives older rows. */
export function newUid(): string {
  return randomBytes(16).toString('hex');
}

/** What one merge copied from one source store (Store.merge). */
export interface MergeCounts {
  copied: { nightlies: number; runs: number; results: number };
  /** Held by the destination already (the same uid), with the source's rows of those runs. */
  present: { nightlies: number; runs: number; results: number };
  /** Left out while they run; a later merge copies them once they have ended. */
  running: { nightlies: number; runs: number };
  /** Copied nightlies whose baseline, and runs whose nightly, neither store holds: stored as null. */
  lost: { baselines: LostReference[]; nightlies: LostReference[] };
}

/** How long a write waits for another program's write lock: RIG_DB_TIMEOUT seconds, else the default. */
export function busyTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const given = env['RIG_DB_TIMEOUT'];
  if (given === undefined || given === '') return DEFAULTS.dbTimeoutSeconds * 1000;
  const seconds = Number(given);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new UserError(`RIG_DB_TIMEOUT: expected a number of seconds, found ${JSON.stringify(given)}`, { exitCode: 2 });
  return Math.round(seconds * 1000);
}

/** A write that another program's lock on the database kept out for the whole busy timeout. */
export class StoreBusyError extends UserError {}

function sqliteCode(error: unknown): string {
  return (error as { code?: unknown }).code?.toString() ?? '';
}

function isBusy(error: unknown): boolean {
  const code = sqliteCode(error);
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

const SQLITE_MAGIC = 'SQLite format 3\0';

/** Whether this process may write the file and create files beside it (the journal). */
function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export class Store {
  readonly path: string;
  /** Opened read-only (the file or its folder cannot be written): read, never migrated. */
  readonly readOnly: boolean;
  private readonly db: Database.Database;
  private readonly option: string;
  private readonly timeoutMs: number;
  private busyMs: number;

  /** `option`: the command-line option that names the file, for the message refusing one that is not rig's. */
  constructor(path: string, { readOnly = false, option = '--db' }: { readOnly?: boolean; option?: string } = {}) {
    this.path = path;
    this.readOnly = readOnly;
    this.option = option;
    this.timeoutMs = busyTimeoutMs();
    this.busyMs = this.timeoutMs;
    if (path !== ':memory:') {
      if (!readOnly) mkdirSync(dirname(path), { recursive: true });
      checkSqliteFile(path, option);
    }
    try {
      this.db = new Database(path, { readonly: readOnly, timeout: this.timeoutMs });
    } catch (error) {
      throw new UserError(`Cannot open the results database ${path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      this.checkRig();
      if (!readOnly) {
        this.db.pragma('journal_mode = WAL');
        this.migrate();
        this.markAbandoned();
      }
      this.db.pragma('foreign_keys = ON');
    } catch (error) {
      this.db.close();
      if (error instanceof UserError) throw error;
      if (isBusy(error))
        throw new StoreBusyError(
          `The results database ${path} is locked by another program: rig waited ${this.timeoutMs / 1000} s to open it (RIG_DB_TIMEOUT sets how long)`,
          { cause: error },
        );
      throw new UserError(`Cannot open the results database ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * An existing results file, for commands that only read it: a missing one is never created, and
   * one this process cannot write (a read-only file or folder) is opened read-only.
   */
  static existing(path: string): Store {
    if (path === ':memory:') return new Store(path);
    if (!existsSync(path)) throw new UserError(`No results database at ${path}: run \`rig bench\` first (or give --db)`);
    return new Store(path, { readOnly: !writable(path) });
  }

  /**
   * A results file opened only to be read, whatever its schema version, and never written: the
   * current version read-only in place; an older one copied to `copyPath` (VACUUM INTO, from a
   * read-only connection) and the copy migrated. A missing file, an empty one or one that is not
   * rig's is refused (exit 2), naming it; `option` says in the message what else to give. Returns
   * the store and the file's own schema version.
   */
  static snapshot(path: string, copyPath: string, option: string): { store: Store; schemaVersion: number } {
    if (!existsSync(path)) throw new UserError(`No results database at ${path}`, { exitCode: 2 });
    checkSqliteFile(path, option);
    let raw: Database.Database;
    try {
      raw = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs() });
    } catch (error) {
      throw new UserError(`Cannot open the results database ${path}: ${(error as Error).message}`, { exitCode: 2, cause: error });
    }
    let schemaVersion: number;
    try {
      schemaVersion = rigVersion(raw, path, option);
      if (schemaVersion === 0) throw notRig(path, 'an empty database', option);
      if (schemaVersion < DB_VERSION) raw.prepare('VACUUM INTO ?').run(copyPath);
    } finally {
      raw.close();
    }
    return { store: schemaVersion < DB_VERSION ? new Store(copyPath, { option }) : new Store(path, { readOnly: true, option }), schemaVersion };
  }

  /** rig's own tables, or nothing yet; anything else is another program's file, left untouched. */
  private checkRig(): void {
    const version = rigVersion(this.db, this.path, this.option);
    if (this.readOnly && version < DB_VERSION)
      throw new UserError(
        `${this.path} is read-only and has schema version ${version}, older than this rig's ${DB_VERSION}, which it cannot upgrade there: ` +
          'make it writable, or copy it somewhere writable (rig upgrades the copy), or read it with the rig that wrote it',
      );
  }

  private migrate(): void {
    // Migration 8's uid of a row stored before: 32 hex digits of the SHA-256 of what it holds.
    this.db.function('rig_uid', { deterministic: true }, (key) => createHash('sha256').update(String(key)).digest('hex').slice(0, 32));
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (const m of MIGRATIONS.filter((m) => m.version > current)) {
      // PRAGMA foreign_keys is a no-op inside a transaction: it is turned off around it. IMMEDIATE:
      // the version is read again under the write lock, so two rig processes opening an old file
      // at once do not both apply a migration.
      if (m.rebuildsTables) this.db.pragma('foreign_keys = OFF');
      try {
        this.db
          .transaction(() => {
            if ((this.db.pragma('user_version', { simple: true }) as number) >= m.version) return;
            this.db.exec(m.sql);
            if (m.rebuildsTables && (this.db.pragma('foreign_key_check') as unknown[]).length > 0) {
              throw new Error(`migration ${m.version} broke a foreign key`);
            }
            this.db.pragma(`user_version = ${m.version}`);
          })
          .immediate();
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

  /** A write, under the busy timeout: SQLITE_BUSY after it becomes a StoreBusyError naming the file. */
  private write<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (isBusy(error))
        throw new StoreBusyError(
          `Cannot ${what} in the results database ${this.path}: another program has held its write lock for ${this.busyMs / 1000} s (RIG_DB_TIMEOUT sets how long rig waits)`,
          { cause: error },
        );
      if (sqliteCode(error).startsWith('SQLITE_READONLY'))
        throw new UserError(`Cannot ${what} in the results database ${this.path}: it is read-only`, { cause: error });
      throw error;
    }
  }

  /** Runs `fn` with writes waiting at most `ms` for another program's lock (0: not at all). */
  withBusyTimeout<T>(ms: number, fn: () => T): T {
    const before = this.busyMs;
    this.db.pragma(`busy_timeout = ${ms}`);
    this.busyMs = ms;
    try {
      return fn();
    } finally {
      this.db.pragma(`busy_timeout = ${before}`);
      this.busyMs = before;
    }
  }

  /** How long a write waits for another program's lock, in ms. */
  get busyTimeoutMs(): number {
    return this.timeoutMs;
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  startRun(info: RunInfo): number {
    return this.write('store the run', () => this.insertRun(info, 'running', null));
  }

  private insertRun(info: RunInfo, status: RunStatus, endedAt: string | null): number {
    const r = this.db
      .prepare(
        `INSERT INTO runs (uid, started_at, ended_at, status, git_revision, host, toolchain_json, board, runner, args_json, nightly_id, pid, pid_start)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        info.uid ?? newUid(),
        info.startedAt,
        endedAt,
        status,
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
    this.write('mark the run finished', () => this.db.prepare('UPDATE runs SET ended_at = ?, status = ? WHERE id = ?').run(endedAt, status, runId));
  }

  addResult(row: ResultRow, createdAt = new Date().toISOString()): number {
    return this.write('store the result row', () => this.insertResult(row, createdAt));
  }

  /**
   * Runs and rows kept in a side file because the database was locked (rig/store/pending.ts), in
   * one transaction: a run stored before is found again (by its uid; in files written before runs
   * had one, by the same start, host, board, runner and arguments), and a row it holds already
   * (same creation time, model and schedule) is skipped, so importing a file twice stores nothing
   * twice. A run not found is stored with the file's uid, so it stays the same run.
   */
  importRuns(runs: readonly PendingRun[]): { runs: number; rows: number; skipped: number } {
    let rows = 0;
    let skipped = 0;
    this.write('import the rows', () =>
      this.db
        .transaction(() => {
          for (const p of runs) {
            const found = (
              p.run.uid !== undefined
                ? this.db.prepare('SELECT id FROM runs WHERE uid = ?').get(p.run.uid)
                : this.db
                    .prepare('SELECT id FROM runs WHERE started_at = ? AND host = ? AND board = ? AND runner = ? AND args_json = ? ORDER BY id LIMIT 1')
                    .get(p.run.startedAt, p.run.host, p.run.board, p.run.runner, JSON.stringify(p.run.args))
            ) as { id: number } | undefined;
            const runId = found?.id ?? this.insertRun(p.run, p.status ?? 'interrupted', p.endedAt);
            if (p.status !== null) this.db.prepare('UPDATE runs SET ended_at = ?, status = ? WHERE id = ?').run(p.endedAt, p.status, runId);
            for (const { createdAt, row } of p.rows) {
              const dup = this.db
                .prepare('SELECT 1 FROM results WHERE run_id = ? AND created_at = ? AND model = ? AND schedule = ?')
                .get(runId, createdAt, row.model, row.schedule);
              if (dup !== undefined) skipped++;
              else {
                this.insertResult({ ...row, runId }, createdAt);
                rows++;
              }
            }
          }
        })
        .immediate(),
    );
    return { runs: runs.length, rows, skipped };
  }

  private insertResult(row: ResultRow, createdAt: string): number {
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
      external_flash_bytes: row.memory.externalFlashBytes ?? null,
      lab_json: row.lab === undefined || row.lab === null ? null : JSON.stringify(row.lab),
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

  /** Rows of `table` whose columns equal the given values (undefined: any), newest first (by `order`, default the id). */
  private newest<T>(
    table: string,
    conditions: readonly Condition[],
    limit: number | undefined,
    extra?: { sql: string; params: readonly number[] },
    order = 'id DESC',
  ): T[] {
    const given = conditions.filter((c): c is [string, string | number] => c[1] !== undefined);
    const where = [...given.map(([column]) => `${column} = ?`), ...(extra === undefined ? [] : [extra.sql])];
    const params = [...given.map(([, value]) => value), ...(extra?.params ?? []), ...(limit === undefined ? [] : [limit])];
    const sql = `SELECT * FROM ${table}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order}${limit === undefined ? '' : ' LIMIT ?'}`;
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
    return this.write('store the nightly run', () => {
      const r = this.db
        .prepare("INSERT INTO nightlies (uid, suite, started_at, status, baseline_id, host, pid, pid_start) VALUES (?, ?, ?, 'running', ?, ?, ?, ?)")
        .run(newUid(), suite, startedAt, baselineId, hostname(), process.pid, processStart(process.pid));
      return Number(r.lastInsertRowid);
    });
  }

  finishNightly(id: number, status: Exclude<NightlyStatus, 'running'>, summary: unknown, endedAt = new Date().toISOString()): void {
    this.write('mark the nightly run finished', () =>
      this.db.prepare('UPDATE nightlies SET ended_at = ?, status = ?, summary_json = ? WHERE id = ?').run(endedAt, status, JSON.stringify(summary), id),
    );
  }

  /**
   * Takes an interrupted or abandoned nightly back to `running`, owned by this process as
   * startNightly records it, with `summary` until it ends. False when it was neither (another
   * process resumed it first): nothing is changed then.
   */
  resumeNightly(id: number, summary: unknown): boolean {
    return this.write('resume the nightly run', () => {
      const r = this.db
        .prepare(
          "UPDATE nightlies SET status = 'running', ended_at = NULL, summary_json = ?, host = ?, pid = ?, pid_start = ? WHERE id = ? AND status IN ('interrupted', 'abandoned')",
        )
        .run(JSON.stringify(summary), hostname(), process.pid, processStart(process.pid), id);
      return r.changes === 1;
    });
  }

  /** The host and pid of the process that started (or last resumed) a nightly; null where none was stored. */
  nightlyOwner(id: number): { host: string | null; pid: number | null } | undefined {
    return this.db.prepare('SELECT host, pid FROM nightlies WHERE id = ?').get(id) as { host: string | null; pid: number | null } | undefined;
  }

  nightly(id: number): Nightly | undefined {
    const r = this.db.prepare('SELECT * FROM nightlies WHERE id = ?').get(id) as NightlyRecord | undefined;
    return r === undefined ? undefined : fromNightlyRecord(r);
  }

  /**
   * Nightly runs, the latest started first; of one suite, or with one status, when asked. By start,
   * not id: the nightlies a merge copies in (rig results merge) get new ids whenever they ran.
   */
  nightlies(filter: { suite?: string | undefined; status?: NightlyStatus | undefined; limit?: number | undefined } = {}): Nightly[] {
    return this.newest<NightlyRecord>(
      'nightlies',
      [
        ['suite', filter.suite],
        ['status', filter.status],
      ],
      filter.limit,
      undefined,
      'started_at DESC, id DESC',
    ).map(fromNightlyRecord);
  }

  /**
   * Copies into this store every nightly and run of `source` it does not hold (by uid), with their
   * result rows, in one transaction; what is copied and the ids it gets are planMerge's
   * (rig/store/merge-plan.ts). Every column is copied as the source stores it, but the ids. The
   * source is only read, in one read transaction.
   */
  merge(source: Store): MergeCounts {
    const read = <T>(sql: string, ...params: unknown[]) => source.db.prepare(sql).all(...params) as T[];
    return source.db.transaction(() => {
      const nightlies = read<NightlyRecord & Record<string, unknown>>('SELECT * FROM nightlies ORDER BY id');
      const runs = read<RunRecord & Record<string, unknown>>('SELECT * FROM runs ORDER BY id');
      return this.write('merge the runs', () =>
        this.db
          .transaction(() => {
            const ids = (table: string) =>
              new Map((this.db.prepare(`SELECT uid, id FROM ${table}`).all() as { uid: string; id: number }[]).map((r) => [r.uid, r.id]));
            const next = (table: string) => (this.db.prepare(`SELECT coalesce(max(id), 0) + 1 AS id FROM ${table}`).get() as { id: number }).id;
            const plan = planMerge(
              {
                nightlies: nightlies.map((n) => ({ id: n.id, uid: n.uid, status: n.status, baselineId: n.baseline_id })),
                runs: runs.map((r) => ({ id: r.id, uid: r.uid, status: r.status, nightlyId: r.nightly_id })),
              },
              { nightlies: ids('nightlies'), runs: ids('runs'), nextNightlyId: next('nightlies'), nextRunId: next('runs') },
            );
            const insert = (table: string) => {
              const columns = (this.db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
              const statement = this.db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
              return (record: Record<string, unknown>) => statement.run(Object.fromEntries(columns.map((c) => [c, record[c] ?? null])));
            };
            // Baselines are set once every nightly is in: one may be copied after the nightly it is the baseline of.
            const insertNightly = insert('nightlies');
            const sourceNightly = new Map(nightlies.map((n) => [n.id, n]));
            for (const n of plan.nightlies) insertNightly({ ...sourceNightly.get(n.sourceId)!, id: n.id, baseline_id: null });
            const setBaseline = this.db.prepare('UPDATE nightlies SET baseline_id = ? WHERE id = ?');
            for (const n of plan.nightlies) if (n.baselineId !== null) setBaseline.run(n.baselineId, n.id);
            const insertRun = insert('runs');
            const insertResult = insert('results');
            const sourceRun = new Map(runs.map((r) => [r.id, r]));
            let results = 0;
            for (const r of plan.runs) {
              insertRun({ ...sourceRun.get(r.sourceId)!, id: r.id, nightly_id: r.nightlyId });
              for (const row of read<Record<string, unknown>>('SELECT * FROM results WHERE run_id = ? ORDER BY id', r.sourceId)) {
                insertResult({ ...row, id: null, run_id: r.id });
                results++;
              }
            }
            const presentRows = plan.present.runs.reduce(
              (sum, id) => sum + (source.db.prepare('SELECT count(*) AS n FROM results WHERE run_id = ?').get(id) as { n: number }).n,
              0,
            );
            return {
              copied: { nightlies: plan.nightlies.length, runs: plan.runs.length, results },
              present: { nightlies: plan.present.nightlies.length, runs: plan.present.runs.length, results: presentRows },
              running: { nightlies: plan.running.nightlies.length, runs: plan.running.runs.length },
              lost: { baselines: plan.lostBaselines, nightlies: plan.lostNightlies },
            };
          })
          .immediate(),
      );
    })();
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

/**
 * The schema version of a rig database, 0 for an SQLite file with nothing in it yet; anything else
 * (another program's tables, a newer rig's schema) is refused, naming the file.
 */
function rigVersion(db: Database.Database, path: string, option: string): number {
  let version: number;
  let tables: string[];
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((t) => t.name);
  } catch (error) {
    if (sqliteCode(error) === 'SQLITE_NOTADB') throw notRig(path, 'not an SQLite database', option);
    throw error;
  }
  if (version === 0 && tables.length > 0) throw notRig(path, `an SQLite database with other tables (${tables.slice(0, 5).join(', ')})`, option);
  if (version > DB_VERSION)
    throw new UserError(`${path} has schema version ${version}, newer than this rig's ${DB_VERSION}: update rig or use another ${option}`);
  if (version > 0 && !(tables.includes('runs') && tables.includes('results')))
    throw notRig(path, `an SQLite database of schema version ${version} without rig's tables runs and results`, option);
  return version;
}

/** Refuses a file that is not a rig database before SQLite writes anything to it. */
function checkSqliteFile(path: string, option: string): void {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw notRig(path, 'not a file', option);
    size = st.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (size === 0) return;
  const head = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') !== SQLITE_MAGIC) throw notRig(path, 'not an SQLite database', option);
}

function notRig(path: string, what: string, option: string): UserError {
  return new UserError(`${path} is not a rig results database (${what}); rig left it unchanged: give another ${option}`, { exitCode: 2 });
}

interface RunRecord {
  id: number;
  uid: string;
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
    uid: r.uid,
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
  uid: string;
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
    uid: r.uid,
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
      ...(r.external_flash_bytes === null ? {} : { externalFlashBytes: r.external_flash_bytes }),
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
    ...(r.lab_json === null ? {} : { lab: JSON.parse(r.lab_json) as LabInfo }),
  };
}
