// rig plan --budget / --objective: the schedule search, its Pareto front, and msf-CNN's points.
import { existsSync } from 'node:fs';
import { arenaBudgetBytes, type BuildTarget } from '../compile/firmware.js';
import { loadBoard, type Board } from '../config/board.js';
import { modelMacs, type Model } from '../model/ir.js';
import { PUBLISHED } from '../model/published.js';
import { scheduleLabel } from '../schedule/plan.js';
import { candidateKey, paretoFront, search, type Candidate, type Objective } from '../schedule/search.js';
import { Store } from '../store/db.js';
import { UserError } from '../util/errors.js';
import { progress } from '../util/log.js';
import { DEFAULT_BOARD, DEFAULT_DB } from './bench.js';
import type { PlanArgs } from './plan.js';
import { formatInt, renderTable } from './table.js';

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, kib: 1024, mb: 1024 * 1024, mib: 1024 * 1024 };

/** "256KB", "256 KiB", "262144" → bytes (KB = 1024 B, as the papers count). */
export function parseBytes(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[m?.[2]?.toLowerCase() ?? 'x'];
  if (m === null || unit === undefined) throw new UserError(`${option} ${text}: expected a size such as 256KB, 320KiB or 262144 (bytes)`, { exitCode: 2 });
  return Math.floor(Number(m[1]) * unit);
}

export interface SearchSetup {
  objective: Objective;
  /** What the budget came from, for the report. */
  budgetSource: string;
}

/**
 * The objective from the options: a memory budget (given, or the board's SRAM less its stack, or
 * the arena RAM a silicon `target` chose), or a MAC budget.
 */
export async function searchSetup(args: Pick<PlanArgs, 'budget' | 'objective' | 'macBudget' | 'board'>, loaded?: Board, target?: BuildTarget): Promise<SearchSetup> {
  if ((args.objective ?? 'macs') === 'memory') {
    if (args.macBudget === undefined) throw new UserError('--objective memory needs --mac-budget R: the plan may execute at most R × the layer-wise MACs (e.g. 1.2)', { exitCode: 2 });
    if (!(args.macBudget >= 1)) throw new UserError(`--mac-budget ${args.macBudget}: expected a ratio of at least 1 (× the layer-wise MACs)`, { exitCode: 2 });
    if (args.budget !== undefined) throw new UserError('--budget goes with --objective macs (the default); --objective memory takes --mac-budget', { exitCode: 2 });
    return { objective: { kind: 'memory', macBudget: args.macBudget }, budgetSource: `MACs ≤ ${args.macBudget}× layer-wise` };
  }
  if (args.macBudget !== undefined) throw new UserError('--mac-budget goes with --objective memory', { exitCode: 2 });
  if (args.budget !== undefined) {
    const bytes = parseBytes(args.budget, '--budget');
    return { objective: { kind: 'cost', budgetBytes: bytes }, budgetSource: `arena ≤ ${formatInt(bytes)} B (--budget ${args.budget})` };
  }
  const board = loaded ?? (await loadBoard(args.board ?? DEFAULT_BOARD));
  if (target?.arenaRegion != null) {
    const bytes = arenaBudgetBytes(target);
    return { objective: { kind: 'cost', budgetBytes: bytes }, budgetSource: `arena ≤ ${formatInt(bytes)} B (${board.id}: arena RAM ${target.arenaRam}, ${target.arenaRegion.name})` };
  }
  const bytes = board.sramBytes - board.stackBytes;
  return { objective: { kind: 'cost', budgetBytes: bytes }, budgetSource: `arena ≤ ${formatInt(bytes)} B (${board.id}: ${formatInt(board.sramBytes)} B SRAM less ${formatInt(board.stackBytes)} B stack)` };
}

/** Median emulated instructions of each candidate measured before (same model, seed and board), by key. */
export function measuredInstructions(model: Model, args: Pick<PlanArgs, 'board' | 'db'>): Map<string, number> {
  const db = args.db ?? DEFAULT_DB;
  const found = new Map<string, number>();
  if (!existsSync(db)) return found;
  const store = new Store(db);
  try {
    for (const row of store.measured(model.name, args.board ?? DEFAULT_BOARD, 'qemu', model.seed)) {
      const k = candidateKey(row.schedule, row.scheduleOptions);
      if (!found.has(k) && row.latency?.unit === 'instructions') found.set(k, row.latency.median);
    }
  } finally {
    store.close();
  }
  return found;
}

export function checkMaxPatches(value: number | undefined): number {
  const n = value ?? 6;
  if (!Number.isInteger(n) || n < 2 || n > 32) throw new UserError(`--max-patches ${n}: expected a whole number from 2 to 32`, { exitCode: 2 });
  return n;
}

export interface MsfComparison {
  readonly label: string;
  readonly ramBytes: number;
  readonly macs: number;
  /** The smallest arena here at no more MACs than the point (the fewer MACs on a tie). */
  readonly best: Candidate | null;
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

export async function searchCommand(model: Model, args: PlanArgs): Promise<number> {
  if (args.patches !== undefined || args.split !== undefined) throw new UserError('--patches and --split fix one plan; the search (--budget, --objective) chooses them', { exitCode: 2 });
  const { objective, budgetSource } = await searchSetup(args);
  const maxPatches = checkMaxPatches(args.maxPatches);
  progress(`${model.name}: planning every schedule, split and grid up to ${maxPatches}×${maxPatches}`);
  const result = search(model, objective, maxPatches, measuredInstructions(model, args));
  const { candidates, chosen, cost } = result;
  const layerMacs = modelMacs(model);
  const front = paretoFront(candidates, (c) => c.macs);
  const msf = msfComparison(model, candidates);
  const describe = (c: Candidate) => ({ ...c, label: scheduleLabel(c.schedule, c.options), macsRatio: c.macs / layerMacs, instructions: result.instructions.get(candidateKey(c.schedule, c.options)) ?? null });
  if (args.json) {
    process.stdout.write(
      JSON.stringify(
        { model: model.name, objective, budget: budgetSource, costBasis: result.costBasis, candidates: candidates.length, chosen: chosen === undefined ? null : describe(chosen), front: front.map(describe), msf: msf.map((m) => ({ ...m, best: m.best && describe(m.best) })) },
        null,
        2,
      ) + '\n',
    );
    return chosen === undefined ? 1 : 0;
  }
  const rows = front.map((c) => {
    const d = describe(c);
    return [c === chosen ? '*' : '', d.label, formatInt(c.arenaBytes), formatInt(c.macs), `${d.macsRatio.toFixed(3)}×`, formatInt(c.paperPeakBytes), formatInt(d.instructions)];
  });
  const lines = [
    `${model.name}: ${candidates.length} plans (layer-wise; patch, stream1d and stream2d at every split and grid up to ${maxPatches}×${maxPatches})`,
    `Pareto front of real arena peak vs executed MACs (layer-wise ${formatInt(layerMacs)}):`,
    renderTable(['', 'schedule', 'arena B', 'MACs', 'vs layer-wise', 'paper peak B', 'instructions (emulated)'], rows, new Set([2, 3, 4, 5, 6])),
    '',
  ];
  if (chosen === undefined) {
    const smallest = front[0]!;
    lines.push(`No plan meets ${budgetSource}: the smallest arena is ${formatInt(smallest.arenaBytes)} B (${scheduleLabel(smallest.schedule, smallest.options)}).`);
  } else {
    const chosenCost = result.costBasis === 'instructions' ? `${formatInt(cost(chosen))} instructions (emulated)` : `${formatInt(chosen.macs)} MACs`;
    const basis = result.costBasis === 'instructions' ? 'measured emulated instructions (every plan within the budget has a stored row)' : 'executed MACs';
    lines.push(
      objective.kind === 'cost'
        ? `Chosen (least ${basis} with ${budgetSource}): ${scheduleLabel(chosen.schedule, chosen.options)}, arena ${formatInt(chosen.arenaBytes)} B, ${chosenCost}`
        : `Chosen (smallest arena with ${budgetSource}): ${scheduleLabel(chosen.schedule, chosen.options)}, arena ${formatInt(chosen.arenaBytes)} B, ${chosenCost}`,
    );
  }
  if (msf.length > 0) {
    lines.push('', "msf-CNN's published plans (their RAM metric: layer input + output, input image excluded, no arena layout) vs the smallest real arena here at no more MACs:");
    for (const m of msf) {
      const ours = m.best === null ? 'no plan at that MAC count' : `${formatInt(m.best.arenaBytes)} B at ${formatInt(m.best.macs)} MACs (${scheduleLabel(m.best.schedule, m.best.options)})`;
      lines.push(`  ${m.label.padEnd(24)} msf-CNN ${formatInt(m.ramBytes)} B at ${formatInt(m.macs)} MACs; rig ${ours}: ${m.asGood ? 'as good or better' : 'not reached'}`);
    }
    if (msf.some((m) => !m.asGood)) {
      lines.push(
        `Not reached where msf-CNN's RAM is below ${formatInt(front[0]!.arenaBytes)} B, the smallest arena of any plan here at any MAC count: rig cuts the network once`,
        '(the stage output is held whole and the rest runs layer-wise) and its arena holds the input patch and every live buffer, to the byte;',
        "msf-CNN fuses across the network down to one output pixel per tile with a column cache, and its metric leaves out the input image.",
      );
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
  return chosen === undefined ? 1 : 0;
}
