// Which nightlies and runs of one store a merge copies into another, and the ids they get there.
// A run or nightly is known by its uid, never by its local id, which collides between stores made
// apart; what the destination holds already is skipped, so merging twice copies nothing twice.

export interface SourceNightly {
  id: number;
  uid: string;
  status: string;
  baselineId: number | null;
}

export interface SourceRun {
  id: number;
  uid: string;
  status: string;
  nightlyId: number | null;
}

/** What the destination holds already (uid → its id there), and its next free ids. */
export interface MergeTarget {
  nightlies: ReadonlyMap<string, number>;
  runs: ReadonlyMap<string, number>;
  nextNightlyId: number;
  nextRunId: number;
}

/** A reference (a nightly's baseline, a run's nightly) the destination cannot hold: stored as null. */
export interface LostReference {
  /** The source's id of the nightly or run copied without it. */
  sourceId: number;
  uid: string;
  /** The source's id it referred to. */
  to: number;
  /** `missing`: in neither store; `running`: left out of this merge while it runs. */
  why: 'missing' | 'running';
}

export interface MergePlan {
  /** Nightlies to copy in source order: new ids, baselines mapped to their ids in the destination. */
  nightlies: { sourceId: number; id: number; baselineId: number | null }[];
  /** Runs to copy in source order: new ids, nightlies mapped to their ids in the destination. */
  runs: { sourceId: number; id: number; nightlyId: number | null }[];
  /** Source ids of the nightlies and runs the destination holds already (the same uid). */
  present: { nightlies: number[]; runs: number[] };
  /** Source ids left out because they are still running (a run also when its nightly is). */
  running: { nightlies: number[]; runs: number[] };
  lostBaselines: LostReference[];
  lostNightlies: LostReference[];
}

/**
 * The plan of one source against the destination. A nightly or run whose uid the destination has
 * is skipped; one still `running` is left out (with the runs of a running nightly), to be copied
 * whole by a later merge once it has ended. The rest get new ids, from the destination's next free
 * ones in source order; a baseline or nightly they refer to is found by uid among what the
 * destination has and what this merge copies, else stored as null and reported.
 */
export function planMerge(source: { nightlies: readonly SourceNightly[]; runs: readonly SourceRun[] }, target: MergeTarget): MergePlan {
  const plan: MergePlan = {
    nightlies: [],
    runs: [],
    present: { nightlies: [], runs: [] },
    running: { nightlies: [], runs: [] },
    lostBaselines: [],
    lostNightlies: [],
  };
  // Source nightly id → its id in the destination, for every nightly that will be there.
  const nightlyIds = new Map<number, number>();
  const leftOut = new Set<number>();
  let nextNightly = target.nextNightlyId;
  const copied: { nightly: SourceNightly; id: number }[] = [];
  for (const n of [...source.nightlies].sort((a, b) => a.id - b.id)) {
    const there = target.nightlies.get(n.uid);
    if (there !== undefined) {
      nightlyIds.set(n.id, there);
      plan.present.nightlies.push(n.id);
    } else if (n.status === 'running') {
      leftOut.add(n.id);
      plan.running.nightlies.push(n.id);
    } else {
      nightlyIds.set(n.id, nextNightly);
      copied.push({ nightly: n, id: nextNightly++ });
    }
  }
  /** The destination id of source nightly `to`, or why there is none. */
  const resolve = (to: number): number | 'missing' | 'running' => nightlyIds.get(to) ?? (leftOut.has(to) ? 'running' : 'missing');

  for (const { nightly: n, id } of copied) {
    let baselineId: number | null = null;
    if (n.baselineId !== null) {
      const found = resolve(n.baselineId);
      if (typeof found === 'number') baselineId = found;
      else plan.lostBaselines.push({ sourceId: n.id, uid: n.uid, to: n.baselineId, why: found });
    }
    plan.nightlies.push({ sourceId: n.id, id, baselineId });
  }

  let nextRun = target.nextRunId;
  for (const r of [...source.runs].sort((a, b) => a.id - b.id)) {
    if (target.runs.has(r.uid)) {
      plan.present.runs.push(r.id);
      continue;
    }
    if (r.status === 'running' || (r.nightlyId !== null && leftOut.has(r.nightlyId))) {
      plan.running.runs.push(r.id);
      continue;
    }
    let nightlyId: number | null = null;
    if (r.nightlyId !== null) {
      const found = resolve(r.nightlyId);
      if (typeof found === 'number') nightlyId = found;
      else plan.lostNightlies.push({ sourceId: r.id, uid: r.uid, to: r.nightlyId, why: found });
    }
    plan.runs.push({ sourceId: r.id, id: nextRun++, nightlyId });
  }
  return plan;
}
