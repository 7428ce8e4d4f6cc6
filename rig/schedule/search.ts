// Schedule search: every schedule, split and patch grid of a model, planned for real (arena
// peak to the byte, executed MACs), then the cheapest plan within a memory budget, or the smallest
// within a MAC budget. Pure: the measured costs, when there are any, are passed in.
import { hasTokenOperators, modelMacs, type Model } from '../model/ir.js';
import { planLayerwise } from './layerwise.js';
import { planMcuformer } from './mcuformer.js';
import { planPatchSchedule, type PatchOptions } from './patch.js';
import type { Plan, ScheduleName } from './plan.js';
import { PlanRefusal } from './refusal.js';
import { planStreamSchedule } from './stream.js';

/** Names a plan by schedule and options, to match it with stored measurements. */
export const candidateKey = (schedule: string, options: Readonly<Record<string, number>>) =>
  `${schedule} ${JSON.stringify(options, Object.keys(options).sort())}`;

export interface Candidate {
  readonly schedule: ScheduleName;
  readonly options: Readonly<Record<string, number>>;
  readonly arenaBytes: number;
  readonly macs: number;
  readonly paperPeakBytes: number | null;
}

export const TILED_SCHEDULES = ['patch', 'stream1d', 'stream2d'] as const;
export type TiledSchedule = (typeof TILED_SCHEDULES)[number];

export function planTiled(model: Model, schedule: TiledSchedule, options: PatchOptions): Plan {
  return schedule === 'patch' ? planPatchSchedule(model, options) : planStreamSchedule(model, schedule, options);
}

const candidateOf = (plan: Plan): Candidate => ({
  schedule: plan.schedule,
  options: plan.options,
  arenaBytes: plan.arenaBytes,
  macs: plan.macs,
  paperPeakBytes: plan.paperPeakBytes,
});

/** Token rows per block the search tries for a transformer's mcuformer schedule. */
export const SEARCH_TOKEN_ROWS = [2, 8, 32] as const;

/**
 * Layer-wise, and every tiled schedule at every valid split and grid up to `maxPatches`; for a
 * transformer, the mcuformer schedule at a few block sizes (no patch stage holds its token operators).
 */
export function enumerateCandidates(
  model: Model,
  { maxPatches = 6, schedules = TILED_SCHEDULES }: { maxPatches?: number; schedules?: readonly TiledSchedule[] } = {},
): Candidate[] {
  const found: Candidate[] = [candidateOf(planLayerwise(model))];
  if (hasTokenOperators(model)) {
    for (const rows of SEARCH_TOKEN_ROWS) found.push(candidateOf(planMcuformer(model, { rows, decompose: true, integrate: true, overwrite: true })));
    return found;
  }
  const blocks = Math.max(...model.ops.map((o) => o.block)) + 1;
  for (let split = 1; split < blocks; split++)
    for (let patches = 2; patches <= maxPatches; patches++)
      for (const schedule of schedules) {
        try {
          found.push(candidateOf(planTiled(model, schedule, { patches, split })));
        } catch (error) {
          if (error instanceof PlanRefusal) break; // this split cannot be cut into `patches` (nor more)
          throw error;
        }
      }
  return found;
}

/** The candidates no other beats on both peak and cost (ties keep the first), by ascending peak. */
export function paretoFront(cands: readonly Candidate[], cost: (c: Candidate) => number): Candidate[] {
  const sorted = [...cands].sort((a, b) => a.arenaBytes - b.arenaBytes || cost(a) - cost(b));
  const front: Candidate[] = [];
  for (const c of sorted) if (front.length === 0 || cost(c) < cost(front[front.length - 1]!)) front.push(c);
  return front;
}

export type Objective = { kind: 'cost'; budgetBytes: number } | { kind: 'memory'; macBudget: number };

/**
 * The choice: least cost with an arena within the budget (the smaller arena on a tie), or the
 * smallest arena whose MACs stay within `macBudget` × layer-wise (the lower cost on a tie).
 */
export function choose(model: Model, cands: readonly Candidate[], objective: Objective, cost: (c: Candidate) => number): Candidate | undefined {
  const feasible = cands.filter(withinBudget(model, objective));
  if (objective.kind === 'cost') return feasible.sort((a, b) => cost(a) - cost(b) || a.arenaBytes - b.arenaBytes)[0];
  return feasible.sort((a, b) => a.arenaBytes - b.arenaBytes || cost(a) - cost(b))[0];
}

/** Whether a candidate meets the objective's budget (memory, or MACs). */
function withinBudget(model: Model, objective: Objective): (c: Candidate) => boolean {
  if (objective.kind === 'cost') return (c) => c.arenaBytes <= objective.budgetBytes;
  const limit = objective.macBudget * modelMacs(model);
  return (c) => c.macs <= limit;
}

export interface SearchResult {
  candidates: Candidate[];
  chosen: Candidate | undefined;
  costBasis: 'macs' | 'instructions';
  cost: (c: Candidate) => number;
  instructions: Map<string, number>;
}

/**
 * Plans every candidate and chooses. Cost is executed MACs, or measured emulated instructions
 * when every candidate within the budget has been measured (a mix would compare unlike numbers).
 */
export function search(model: Model, objective: Objective, maxPatches: number, instructions: Map<string, number>): SearchResult {
  const candidates = enumerateCandidates(model, { maxPatches });
  const feasible = candidates.filter(withinBudget(model, objective));
  const measuredAll = feasible.length > 0 && feasible.every((c) => instructions.has(candidateKey(c.schedule, c.options)));
  const cost = measuredAll ? (c: Candidate) => instructions.get(candidateKey(c.schedule, c.options)) ?? Infinity : (c: Candidate) => c.macs;
  return { candidates, chosen: choose(model, candidates, objective, cost), costBasis: measuredAll ? 'instructions' : 'macs', cost, instructions };
}
