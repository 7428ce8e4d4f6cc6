// rig models: the built-in networks with MACs, params, peaks and flash, beside the published figures.
import type { Argv } from 'yargs';
import { DEFAULTS } from '../defaults.js';
import { listModels } from '../planning/models.js';
import { printedFigure, withinRounding, type PublishedQuantity } from '../tables/published.js';
import type { Published } from '../model/published.js';
import { pct } from '../util/format.js';
import { outputFormat, printListing, type Cell } from './table.js';

export function modelsOptions<T>(y: Argv<T>) {
  return y
    .option('seed', { type: 'number', default: DEFAULTS.seed })
    .option('json', { type: 'boolean', default: false })
    .option('csv', { type: 'boolean', default: false });
}

const HEADERS = [
  'model',
  'input',
  'MACs',
  'MACs published',
  'MACs vs published',
  'params',
  'params published',
  'params vs published',
  'peak B (MCUNetV2 metric)',
  'real peak B',
  'flash weights B',
];

/** The published figure as printed, the exact count against it, and whether the count rounds to it. */
function published(count: number, p: Published | null, quantity: PublishedQuantity): { cells: [Cell, Cell]; rounds: boolean } {
  const figure = printedFigure(p ?? undefined, quantity);
  if (figure === null) return { cells: [null, null], rounds: true };
  return { cells: [figure.text, pct(count, figure.value)], rounds: withinRounding(count, figure) };
}

function notes(off: readonly string[]): string[] {
  return [
    '',
    "peak B (MCUNetV2 metric): MCUNet / MCUNetV2's analytic peak, the largest input + output of one layer in int8 bytes, depthwise counted in place; not an arena.",
    'real peak B: the arena the firmware allocates, to the byte (lifetimes, residuals, in-place ops, scratch).',
    'published: as the source prints it, rounded (MCUNet zoo: MACs to 0.1M, params to 0.01M; MCUNetV2: MACs to 1M) or exact (msf-CNN);',
    off.length === 0
      ? 'every exact count here rounds to its published figure.'
      : `every exact count here rounds to its published figure but ${off.join(', ')}.`,
  ];
}

export async function modelsCommand(args: { seed: number; json?: boolean | undefined; csv?: boolean | undefined }): Promise<number> {
  const format = outputFormat(args);
  const all = await listModels(args.seed);
  const off: string[] = [];
  const rows = all.map(({ figures: f, published: p }): Cell[] => {
    const macs = published(f.macs, p, 'macs');
    const params = published(f.params, p, 'params');
    if (!macs.rounds) off.push(`${f.model}'s MACs`);
    if (!params.rounds) off.push(`${f.model}'s params`);
    return [f.model, f.input.join('×'), f.macs, ...macs.cells, f.params, ...params.cells, f.paperPeakBytes, f.arenaPeakBytes, f.weightBytes];
  });
  const json = all.map(({ figures: { layers: _layers, ...f }, published: p }) => ({ ...f, published: p }));
  printListing(format, HEADERS, rows, json, notes(off));
  return 0;
}
