// Whether a plan fits a board, as `rig plan` reports it: the arena and the stack reserve against
// the board's SRAM, the weights against its flash, both numbers each time; and, when the SRAM is
// what does not fit, the plan the budget search chooses within it. No schedule changes the flash a
// model needs: every schedule keeps all its weights there.
import type { Board } from '../config/board.js';
import { analyze } from '../schedule/analysis.js';
import type { Plan } from '../schedule/plan.js';
import { formatInt } from '../util/format.js';
import type { SearchReport } from './search.js';

export interface BoardFit {
  readonly board: string;
  /** The arena and the board's stack reserve against its SRAM (every region, as the emulated board and the default silicon placement have it). */
  readonly sram: {
    readonly arenaBytes: number;
    readonly stackBytes: number;
    readonly neededBytes: number;
    readonly availableBytes: number;
    readonly fits: boolean;
  };
  /** The constant data (weights, bias, requantization, the benchmark input) against the flash; the image adds code, which the linker checks. */
  readonly flash: {
    readonly neededBytes: number;
    readonly availableBytes: number;
    readonly fits: boolean;
    /** External flash that holds what the internal flash does not, on the variants that have it; null when none would. */
    readonly external: { readonly name: string; readonly sizeBytes: number; readonly variants: readonly string[] } | null;
  };
  readonly fits: boolean;
}

/** The plan the budget search chooses within the board's SRAM, when the plan asked for does not fit it. */
export interface FittingPlan {
  /** The search's choice (the fewest MACs, or measured instructions, whose arena fits); null when no plan fits. */
  readonly chosen: {
    readonly schedule: string;
    readonly options: Readonly<Record<string, number>>;
    readonly label: string;
    readonly arenaBytes: number;
    readonly macs: number;
    readonly macsRatio: number;
  } | null;
  /** The smallest arena of any plan, for when none fits. */
  readonly smallest: { readonly label: string; readonly arenaBytes: number };
  readonly candidates: number;
  readonly budgetSource: string;
  readonly costBasis: SearchReport['costBasis'];
  /** The options of `rig plan` and `rig bench` that give the chosen plan. */
  readonly options: string | null;
}

export function boardFit(plan: Plan, board: Board): BoardFit {
  const arenaBytes = plan.arenaBytes;
  const sramNeeded = arenaBytes + board.stackBytes;
  const flashNeeded = analyze(plan).weightBytes;
  const sram = { arenaBytes, stackBytes: board.stackBytes, neededBytes: sramNeeded, availableBytes: board.sramBytes, fits: sramNeeded <= board.sramBytes };
  const ext = board.memory.externalFlash;
  const flash = {
    neededBytes: flashNeeded,
    availableBytes: board.flashBytes,
    fits: flashNeeded <= board.flashBytes,
    external:
      ext !== undefined && flashNeeded > board.flashBytes && flashNeeded <= ext.sizeBytes
        ? { name: ext.name, sizeBytes: ext.sizeBytes, variants: ext.variants }
        : null,
  };
  return { board: board.id, sram, flash, fits: sram.fits && flash.fits };
}

/** The command-line options that plan a candidate: `--schedule stream2d --patches 6 --split 6`. */
export function scheduleOptions(schedule: string, options: Readonly<Record<string, number>>): string {
  return [`--schedule ${schedule}`, ...Object.entries(options).map(([k, v]) => `--${k} ${v}`)].join(' ');
}

/** The search's answer as `rig plan` reports it beside a plan that does not fit. */
export function fittingPlan(report: SearchReport): FittingPlan {
  const c = report.chosen;
  const smallest = report.front[0]!;
  return {
    chosen: c === null ? null : { schedule: c.schedule, options: c.options, label: c.label, arenaBytes: c.arenaBytes, macs: c.macs, macsRatio: c.macsRatio },
    smallest: { label: smallest.label, arenaBytes: smallest.arenaBytes },
    candidates: report.candidates,
    budgetSource: report.budgetSource,
    costBasis: report.costBasis,
    options: c === null ? null : scheduleOptions(c.schedule, c.options),
  };
}

/** Lines of `rig plan`'s text output: SRAM and flash against the board, both numbers each; what fits the SRAM instead, or that nothing can; that no schedule changes the flash. */
export function fitLines(fit: BoardFit, fitting: FittingPlan | null): string[] {
  const { sram, flash } = fit;
  const line = (label: string, text: string) => `${label.padEnd(29)}${text}`;
  const lines = [
    line(
      `SRAM on ${fit.board}`,
      `${formatInt(sram.neededBytes)} B needed (arena ${formatInt(sram.arenaBytes)} B + stack ${formatInt(sram.stackBytes)} B), ${formatInt(sram.availableBytes)} B available: ${sram.fits ? 'fits' : 'does not fit'}`,
    ),
  ];
  if (!sram.fits && fitting !== null) {
    const c = fitting.chosen;
    const basis = fitting.costBasis === 'instructions' ? 'the fewest measured emulated instructions' : 'the fewest MACs';
    lines.push(
      line(
        'schedule that fits the SRAM',
        c === null
          ? `none of ${formatInt(fitting.candidates)} plans: the smallest arena is ${formatInt(fitting.smallest.arenaBytes)} B (${fitting.smallest.label}), over ${fitting.budgetSource}`
          : `${c.label}: arena ${formatInt(c.arenaBytes)} B, ${formatInt(c.macs)} MACs (${c.macsRatio.toFixed(3)}× layer-wise), ${basis} of ${formatInt(fitting.candidates)} plans within ${fitting.budgetSource}; rig plan and rig bench take ${fitting.options}`,
      ),
    );
  }
  lines.push(
    line(
      `flash on ${fit.board}`,
      `${formatInt(flash.neededBytes)} B needed (weights and input; code comes on top), ${formatInt(flash.availableBytes)} B available: ${
        flash.fits
          ? 'fits'
          : flash.external !== null
            ? `does not fit the internal flash; the ${flash.external.variants.join(', ')} variant's ${formatInt(flash.external.sizeBytes)} B of ${flash.external.name} flash holds the weights (rig bench --variant ${flash.external.variants[0]})`
            : 'does not fit, and no schedule changes that (every schedule keeps all the weights in flash)'
      }`,
    ),
  );
  return lines;
}
