// The schedule search with what the rig knows beyond the model: the budget a board leaves, the
// emulated instructions stored by earlier runs, and msf-CNN's published points. The search itself
// (rig/schedule/search.ts) is pure; this module reads the board and the store for it.
import { existsSync } from 'node:fs';
import { arenaBudgetBytes, type BuildTarget } from '../compile/firmware.js';
import { loadBoard, type Board } from '../config/board.js';
import { DEFAULTS } from '../defaults.js';
import { modelMacs, type Model } from '../model/ir.js';
import { PUBLISHED } from '../model/published.js';
import { analyze } from '../schedule/analysis.js';
import { planLayerwise } from '../schedule/layerwise.js';
import { scheduleLabel } from '../schedule/plan.js';
import { candidateKey, paretoFront, search, type Candidate, type Objective } from '../schedule/search.js';
import { Store } from '../store/db.js';
import { UserError } from '../util/errors.js';
import { formatInt } from '../util/format.js';
import { progress } from '../util/log.js';

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, kib: 1024, mb: 1024 * 1024, mib: 1024 * 1024 };

/** "256KB", "256 KiB", "262144" → bytes (KB = 1024 B, as the papers count); `option` names the text in the error. */
export function parseBytes(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[m?.[2]?.toLowerCase() ?? 'x'];
  if (m === null || unit === undefined) throw new UserError(`${option} ${text}: expected a size such as 256KB, 320KiB or 262144 (bytes)`, { exitCode: 2 });
  return Math.floor(Number(m[1]) * unit);
}

/** What bounds the search: a MAC ratio, an arena size given by the user, or what a board leaves. */
export type BudgetRequest =
  | { readonly kind: 'macs'; readonly macBudget: number }
  /** `given` says how it was asked for, for the report (`--budget 256KB`). */
  | { readonly kind: 'bytes'; readonly bytes: number; readonly given: string }
  /** The board's SRAM less its stack, or the arena RAM a silicon target chose. */
  | { readonly kind: 'board'; readonly board?: string | undefined };

export interface SearchSetup {
  objective: Objective;
  /** What the budget came from, for the report. */
  budgetSource: string;
}

/** The objective of a budget; a board budget loads the board (or takes the one `loaded`), and a silicon `target`'s arena RAM. */
export async function searchSetup(budget: BudgetRequest, loaded?: Board, target?: BuildTarget): Promise<SearchSetup> {
  switch (budget.kind) {
    case 'macs':
      return { objective: { kind: 'memory', macBudget: budget.macBudget }, budgetSource: `MACs ≤ ${budget.macBudget}× layer-wise` };
    case 'bytes':
      return { objective: { kind: 'cost', budgetBytes: budget.bytes }, budgetSource: `arena ≤ ${formatInt(budget.bytes)} B (${budget.given})` };
    case 'board': {
      const board = loaded ?? (await loadBoard(budget.board ?? DEFAULTS.board));
      if (target !== undefined && target.arenaRegion !== null) {
        const bytes = arenaBudgetBytes(target);
        return {
          objective: { kind: 'cost', budgetBytes: bytes },
          budgetSource: `arena ≤ ${formatInt(bytes)} B (${board.id}: arena RAM ${target.arenaRam}, ${target.arenaRegion.name})`,
        };
      }
      const bytes = board.sramBytes - board.stackBytes;
      return {
        objective: { kind: 'cost', budgetBytes: bytes },
        budgetSource: `arena ≤ ${formatInt(bytes)} B (${board.id}: ${formatInt(board.sramBytes)} B SRAM less ${formatInt(board.stackBytes)} B stack)`,
      };
    }
  }
}

/** Where stored measurements are looked up: the results database and the board they were measured on. */
export interface MeasuredIn {
  readonly board?: string | undefined;
  readonly db?: string | undefined;
}

/** Median emulated instructions of each candidate measured before (same model, seed and board), by key. */
export function measuredInstructions(model: Model, where: MeasuredIn): Map<string, number> {
  const db = where.db ?? DEFAULTS.db;
  const found = new Map<string, number>();
  if (!existsSync(db)) return found;
  // Only read: a database this process cannot write is opened read-only.
  const store = Store.existing(db);
  try {
    for (const row of store.measured(model.name, where.board ?? DEFAULTS.board, 'qemu', model.seed)) {
      const k = candidateKey(row.schedule, row.scheduleOptions);
      if (!found.has(k) && row.latency?.unit === 'instructions') found.set(k, row.latency.median);
    }
  } finally {
    store.close();
  }
  return found;
}

export interface MsfComparison<C extends Candidate = Candidate> {
  readonly label: string;
  readonly ramBytes: number;
  readonly macs: number;
  /** The smallest arena here at no more MACs than the point (the fewer MACs on a tie). */
  readonly best: C | null;
  /** Whether that arena is no larger than msf-CNN's RAM at the point. */
  readonly asGood: boolean;
}

/** msf-CNN's published points for the model (none for other models), each against the candidates. */
export function msfComparison(model: Model, candidates: readonly Candidate[]): MsfComparison[] {
  return (PUBLISHED.get(model.name)?.msfPoints ?? []).map((p) => {
    const best = candidates.filter((c) => c.macs <= p.macs).sort((a, b) => a.arenaBytes - b.arenaBytes || a.macs - b.macs)[0];
    return { ...p, best: best ?? null, asGood: best !== undefined && best.arenaBytes <= p.ramBytes };
  });
}

/** A candidate as the search reports it: named, against layer-wise, with its stored instructions. */
export interface DescribedCandidate extends Candidate {
  readonly label: string;
  readonly macsRatio: number;
  readonly instructions: number | null;
}

export interface SearchRequest extends MeasuredIn {
  readonly budget: BudgetRequest;
  /** The largest P×P grid tried. */
  readonly maxPatches: number;
}

export interface SearchReport {
  readonly model: string;
  readonly objective: Objective;
  readonly budgetSource: string;
  readonly costBasis: 'macs' | 'instructions';
  readonly maxPatches: number;
  /** How many plans were made. */
  readonly candidates: number;
  readonly layerwiseMacs: number;
  /** The choice and its cost on the cost basis; null when no plan meets the budget. */
  readonly chosen: DescribedCandidate | null;
  readonly chosenCost: number | null;
  /** Arena against cost, by ascending arena. */
  readonly front: readonly DescribedCandidate[];
  readonly msf: readonly MsfComparison<DescribedCandidate>[];
  /** With the board's SRAM as the budget: the model's weights (and input) against the board's flash, which no schedule changes. */
  readonly flash: { readonly board: string; readonly neededBytes: number; readonly availableBytes: number; readonly fits: boolean } | null;
}

/** Every schedule, split and grid of the model planned for real, the Pareto front, the choice within the budget, and msf-CNN's points. */
export async function searchPlans(model: Model, request: SearchRequest): Promise<SearchReport> {
  const { objective, budgetSource } = await searchSetup(request.budget);
  const { maxPatches } = request;
  progress(`${model.name}: planning every schedule, split and grid up to ${maxPatches}×${maxPatches}`);
  const result = search(model, objective, maxPatches, measuredInstructions(model, request));
  const layerwiseMacs = modelMacs(model);
  const describe = (c: Candidate): DescribedCandidate => ({
    ...c,
    label: scheduleLabel(c.schedule, c.options),
    macsRatio: c.macs / layerwiseMacs,
    instructions: result.instructions.get(candidateKey(c.schedule, c.options)) ?? null,
  });
  const { chosen } = result;
  let flash: SearchReport['flash'] = null;
  if (request.budget.kind === 'board') {
    const board = await loadBoard(request.budget.board ?? DEFAULTS.board);
    const neededBytes = analyze(planLayerwise(model)).weightBytes;
    flash = { board: board.id, neededBytes, availableBytes: board.flashBytes, fits: neededBytes <= board.flashBytes };
  }
  return {
    model: model.name,
    objective,
    budgetSource,
    costBasis: result.costBasis,
    maxPatches,
    candidates: result.candidates.length,
    layerwiseMacs,
    chosen: chosen === undefined ? null : describe(chosen),
    chosenCost: chosen === undefined ? null : result.cost(chosen),
    front: paretoFront(result.candidates, (c) => c.macs).map(describe),
    msf: msfComparison(model, result.candidates).map((m) => ({ ...m, best: m.best && describe(m.best) })),
    flash,
  };
}
