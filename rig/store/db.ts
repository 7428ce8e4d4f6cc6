// The results store: one SQLite file (WAL), runs and their result rows.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../util/errors.js';
import { MIGRATIONS } from './migrations.js';

export type RunnerKind = 'qemu' | 'hardware';
export type RunStatus = 'running' | 'complete' | 'failed' | 'interrupted';
export type LatencyUnit = 'instructions' | 'cycles';

export type ResultStatus =
  | 'ok'
  | 'mismatch'
  | 'memory-mismatch'
  | 'does-not-fit'
  | 'build-error'
  | 'timeout'
  | 'telemetry-error'
  | 'device-error'
  | 'wrong-firmware'
  | 'error';

export interface RunInfo {
  startedAt: string;
  gitRevision: string | null;
  host: string;
  toolchain: Record<string, string>;
  board: string;
  runner: RunnerKind;
  args: unknown;
}

export interface Latency {
  unit: LatencyUnit;
  n: number;
  min: number;
  median: number;
  max: number;
}

export interface ResultRow {
  runId: number;
  model: string;
  schedule: string;
  /** What shaped the schedule: patch grid and split; empty for layer-wise. */
  scheduleOptions: Record<string, number>;
  board: string;
  runner: RunnerKind;
  status: ResultStatus;
  detail: string | null;
  latency: Latency | null;
  samples: number[];
  memory: {
    plannedArenaBytes: number;
    measuredArenaBytes: number | null;
    stackBytes: number | null;
    flashBytes: number | null;
    staticRamBytes: number | null;
    /** MCUNet / MCUNetV2's analytic metric for the schedule (null in rows stored before it was kept). */
    paperPeakBytes: number | null;
  };
  /** MACs the schedule executes, recomputed halos included. */
  macs: number;
  /** MACs of the same model layer-wise (null in rows stored before it was kept). */
  layerwiseMacs: number | null;
  outputCrc32: string | null;
  referenceCrc32: string;
  kernelVariant: string | null;
  firmwareId: string | null;
  seed: number;
}

interface ResultRecord {
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
  kernel_variant: string | null;
  firmware_id: string | null;
  seed: number;
  schedule_options_json: string;
  paper_peak_bytes: number | null;
  layerwise_macs: number | null;
}

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
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > DB_VERSION) {
      throw new UserError(`${this.path} has schema version ${current}, newer than this rig's ${DB_VERSION}: update rig or use another --db`);
    }
    for (const m of MIGRATIONS.filter((m) => m.version > current)) {
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.pragma(`user_version = ${m.version}`);
      })();
    }
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  startRun(info: RunInfo): number {
    const r = this.db
      .prepare(
        `INSERT INTO runs (started_at, status, git_revision, host, toolchain_json, board, runner, args_json)
         VALUES (?, 'running', ?, ?, ?, ?, ?, ?)`,
      )
      .run(info.startedAt, info.gitRevision, info.host, JSON.stringify(info.toolchain), info.board, info.runner, JSON.stringify(info.args));
    return Number(r.lastInsertRowid);
  }

  finishRun(runId: number, status: Exclude<RunStatus, 'running'>, endedAt = new Date().toISOString()): void {
    this.db.prepare('UPDATE runs SET ended_at = ?, status = ? WHERE id = ?').run(endedAt, status, runId);
  }

  addResult(row: ResultRow, createdAt = new Date().toISOString()): number {
    const rec: ResultRecord = {
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
      kernel_variant: row.kernelVariant,
      firmware_id: row.firmwareId,
      seed: row.seed,
      schedule_options_json: JSON.stringify(row.scheduleOptions),
      paper_peak_bytes: row.memory.paperPeakBytes,
      layerwise_macs: row.layerwiseMacs,
    };
    const cols = Object.keys(rec);
    const r = this.db
      .prepare(`INSERT INTO results (created_at, ${cols.join(', ')}) VALUES (?, ${cols.map((c) => `@${c}`).join(', ')})`)
      .run(createdAt, rec);
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

  run(runId: number): (RunInfo & { id: number; status: RunStatus; endedAt: string | null }) | undefined {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as
      | { id: number; started_at: string; ended_at: string | null; status: RunStatus; git_revision: string | null; host: string; toolchain_json: string; board: string; runner: RunnerKind; args_json: string }
      | undefined;
    if (r === undefined) return undefined;
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
    };
  }

  close(): void {
    this.db.close();
  }
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
    latency:
      r.latency_unit === null
        ? null
        : { unit: r.latency_unit, n: r.latency_n!, min: r.latency_min!, median: r.latency_median!, max: r.latency_max! },
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
    kernelVariant: r.kernel_variant,
    firmwareId: r.firmware_id,
    seed: r.seed,
  };
}
