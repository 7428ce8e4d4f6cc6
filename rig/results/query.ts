// What the store holds (`rig results`) and what changed between two runs (`rig compare`); both
// read an existing database and never create one.
import type { RowFilter, StoredResult, StoredRun } from '../store/db.js';
import { Store } from '../store/db.js';
import { UserError } from '../util/errors.js';
import { compareRows, latencyRule, tally, type RowComparison, type Verdict } from './compare.js';
import type { Profile, RunnerKind } from './row.js';

function withStore<T>(db: string, read: (store: Store) => T): T {
  const store = Store.existing(db);
  try {
    return read(store);
  } finally {
    store.close();
  }
}

const unknownRun = (id: number, db: string) => new UserError(`No run ${id} in ${db} (rig results --runs lists them)`, { exitCode: 2 });

/** A run with its row counts and the suite of its nightly, if any. */
export interface RunListing {
  run: StoredRun;
  okRows: number;
  rows: number;
  suite: string | null;
}

export function listRuns(db: string, filter: { board?: string | undefined; runner?: RunnerKind | undefined; limit: number }): RunListing[] {
  return withStore(db, (store) =>
    store.runs(filter).map((run) => {
      const rows = store.rows({ runIds: [run.id] });
      return { run, okRows: rows.filter((r) => r.status === 'ok').length, rows: rows.length, suite: run.nightlyId === null ? null : (store.nightly(run.nightlyId)?.suite ?? null) };
    }),
  );
}

/** The newest rows that match, oldest first; a run id not stored is an error. */
export function listResults(db: string, filter: RowFilter): StoredResult[] {
  return withStore(db, (store) => {
    for (const id of filter.runIds ?? []) if (store.run(id) === undefined) throw unknownRun(id, db);
    return store.rows(filter);
  });
}

/** One stored row that has a per-layer profile (`rig results --layers`). */
export function profiledRow(db: string, id: number): StoredResult & { profile: Profile } {
  return withStore(db, (store) => {
    const row = Number.isInteger(id) ? store.result(id) : undefined;
    if (row === undefined) throw new UserError(`No result row ${id} in ${db} (the id column of rig results)`, { exitCode: 2 });
    if (row.profile === null) {
      throw new UserError(`Result row ${id} (${row.model}, ${row.status}) has no per-layer profile: rows of runs that did not finish, and rows stored before rig profiled, have none`);
    }
    return { ...row, profile: row.profile };
  });
}

export interface RunComparison {
  baseline: number;
  current: number;
  /** The rule latencies were judged by. */
  rule: string;
  counts: Record<Verdict, number>;
  cases: RowComparison[];
}

/** Two stored runs case by case; `cyclesThreshold` is the least relative change of silicon cycles that counts. */
export function compareRuns(db: string, baseline: number, current: number, cyclesThreshold: number): RunComparison {
  return withStore(db, (store) => {
    for (const id of [baseline, current]) if (!Number.isInteger(id) || store.run(id) === undefined) throw unknownRun(id, db);
    const options = { cyclesThreshold };
    const cases = compareRows(store.results(baseline), store.results(current), options);
    return { baseline, current, rule: latencyRule(options), counts: tally(cases), cases };
  });
}
