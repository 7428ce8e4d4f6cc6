// Versioned schema migrations, applied in order inside one transaction each; the database
// records its version in user_version.
export interface Migration {
  readonly version: number;
  readonly sql: string;
  /**
   * Rebuilds tables other tables refer to (a CHECK constraint changes only so): foreign keys are
   * off while it runs, and checked before it commits.
   */
  readonly rebuildsTables?: true;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed', 'interrupted')),
        git_revision TEXT,
        host TEXT NOT NULL,
        toolchain_json TEXT NOT NULL,
        board TEXT NOT NULL,
        runner TEXT NOT NULL CHECK (runner IN ('qemu', 'hardware')),
        args_json TEXT NOT NULL
      );
      CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        created_at TEXT NOT NULL,
        model TEXT NOT NULL,
        schedule TEXT NOT NULL,
        board TEXT NOT NULL,
        runner TEXT NOT NULL CHECK (runner IN ('qemu', 'hardware')),
        status TEXT NOT NULL,
        detail TEXT,
        latency_unit TEXT,
        latency_n INTEGER,
        latency_min REAL,
        latency_median REAL,
        latency_max REAL,
        samples_json TEXT,
        planned_arena_bytes INTEGER NOT NULL,
        measured_arena_bytes INTEGER,
        stack_bytes INTEGER,
        flash_bytes INTEGER,
        static_ram_bytes INTEGER,
        macs INTEGER NOT NULL,
        output_crc32 TEXT,
        reference_crc32 TEXT NOT NULL,
        kernel_variant TEXT,
        firmware_id TEXT,
        seed INTEGER NOT NULL
      );
      CREATE INDEX results_by_run ON results(run_id);
      CREATE INDEX results_by_case ON results(model, schedule, board, runner);
    `,
  },
  {
    version: 2,
    sql: `
      ALTER TABLE results ADD COLUMN schedule_options_json TEXT NOT NULL DEFAULT '{}';
      ALTER TABLE results ADD COLUMN paper_peak_bytes INTEGER;
      ALTER TABLE results ADD COLUMN layerwise_macs INTEGER;
    `,
  },
  {
    version: 3,
    sql: `
      CREATE TABLE nightlies (
        id INTEGER PRIMARY KEY,
        suite TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'passed', 'regressed', 'failed', 'interrupted')),
        baseline_id INTEGER REFERENCES nightlies(id),
        summary_json TEXT
      );
      CREATE INDEX nightlies_by_suite ON nightlies(suite, id);
      ALTER TABLE runs ADD COLUMN nightly_id INTEGER REFERENCES nightlies(id);
      CREATE INDEX runs_by_nightly ON runs(nightly_id);
    `,
  },
  {
    version: 4,
    // The profiling pass: {total, layers: [{name, op, shape, macs, latency}], input, copies, rest}
    // in the row's latency unit (rig/schedule/profile.ts); SQLite's json_each reads the layers.
    sql: `
      ALTER TABLE results ADD COLUMN profile_json TEXT;
    `,
  },
  {
    version: 5,
    // The CRC-32 of the input the firmware held (its start line), beside the output's.
    sql: `
      ALTER TABLE results ADD COLUMN input_crc32 TEXT;
    `,
  },
  {
    version: 6,
    // The process that owns a running run or nightly: its host (runs already have one), its pid and
    // its start time (/proc/<pid>/stat's starttime, null where there is none), so that a row left
    // 'running' by a process that is gone can be told and marked 'abandoned'. SQLite changes a
    // CHECK constraint only by rebuilding the table. Rows left running by an earlier rig have no
    // owner to ask: they are marked abandoned (a rig that is still running one overwrites it when
    // it finishes).
    rebuildsTables: true,
    sql: `
      CREATE TABLE runs_new (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed', 'interrupted', 'abandoned')),
        git_revision TEXT,
        host TEXT NOT NULL,
        toolchain_json TEXT NOT NULL,
        board TEXT NOT NULL,
        runner TEXT NOT NULL CHECK (runner IN ('qemu', 'hardware')),
        args_json TEXT NOT NULL,
        nightly_id INTEGER REFERENCES nightlies(id),
        pid INTEGER,
        pid_start TEXT
      );
      INSERT INTO runs_new (id, started_at, ended_at, status, git_revision, host, toolchain_json, board, runner, args_json, nightly_id)
        SELECT id, started_at, ended_at, CASE status WHEN 'running' THEN 'abandoned' ELSE status END, git_revision, host, toolchain_json, board, runner, args_json, nightly_id FROM runs;
      DROP TABLE runs;
      ALTER TABLE runs_new RENAME TO runs;
      CREATE INDEX runs_by_nightly ON runs(nightly_id);

      CREATE TABLE nightlies_new (
        id INTEGER PRIMARY KEY,
        suite TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'passed', 'regressed', 'failed', 'interrupted', 'abandoned')),
        baseline_id INTEGER REFERENCES nightlies(id),
        summary_json TEXT,
        host TEXT,
        pid INTEGER,
        pid_start TEXT
      );
      INSERT INTO nightlies_new (id, suite, started_at, ended_at, status, baseline_id, summary_json)
        SELECT id, suite, started_at, ended_at, CASE status WHEN 'running' THEN 'abandoned' ELSE status END, baseline_id, summary_json FROM nightlies;
      DROP TABLE nightlies;
      ALTER TABLE nightlies_new RENAME TO nightlies;
      CREATE INDEX nightlies_by_suite ON nightlies(suite, id);
    `,
  },
  {
    version: 7,
    // Bytes of the image in external flash (a transformer's weights in the 32F746G-DISCO's QSPI):
    // null where the image has none.
    sql: `
      ALTER TABLE results ADD COLUMN external_flash_bytes INTEGER;
    `,
  },
  {
    version: 8,
    // A globally unique id of every run and nightly (32 hex digits), so that stores made apart can
    // be merged (rig results merge): local ids collide, uids do not. rig gives every new run and
    // nightly a random one (newUid in db.ts). A row stored before gets one derived from what it
    // holds (rig_uid, a SHA-256 the Store registers): the same row upgraded in place, in a copy of
    // its file, or in the temporary copy a merge upgrades, gets the same uid, so merging an older
    // store twice copies nothing twice. The id makes it unique within its file.
    sql: `
      ALTER TABLE runs ADD COLUMN uid TEXT;
      UPDATE runs SET uid = rig_uid(json_array('run', id, started_at, host, board, runner, args_json));
      CREATE UNIQUE INDEX runs_by_uid ON runs(uid);
      ALTER TABLE nightlies ADD COLUMN uid TEXT;
      UPDATE nightlies SET uid = rig_uid(json_array('nightly', id, suite, started_at));
      CREATE UNIQUE INDEX nightlies_by_uid ON nightlies(uid);
    `,
  },
  {
    version: 9,
    // Where a case the lab's queue dispatched ran: {host, worker, attempt, attempts: [{host,
    // worker, startedAt}], probeSerial, variant} (rig/results/row.ts LabInfo); null for a case run
    // by the process that stored it.
    sql: `
      ALTER TABLE results ADD COLUMN lab_json TEXT;
    `,
  },
];
