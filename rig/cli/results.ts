// rig results and rig compare: what the store holds, and what changed between two runs.
import type { Argv } from 'yargs';
import { DEFAULTS } from '../defaults.js';
import { compareRuns, listResults, listRuns, profiledRow } from '../results/query.js';
import { FAILING_VERDICTS, kernelsOf } from '../results/compare.js';
import { RESULT_STATUSES, RUNNER_KINDS, type Profile, type ResultStatus, type RunnerKind } from '../results/row.js';
import { scheduleLabel, SCHEDULES } from '../schedule/plan.js';
import type { StoredResult } from '../store/db.js';
import { mergeStores } from '../store/merge.js';
import { importPending } from '../store/pending.js';
import { formatInt, pct } from '../util/format.js';
import { RUNNER_UNIT, unitLabel } from '../util/units.js';
import { UserError } from '../util/errors.js';
import { progress } from '../util/log.js';
import { outputFormat, printComparison, printListing, RESULT_HEADERS, resultCells } from './table.js';

interface Exports {
  json?: boolean | undefined;
  csv?: boolean | undefined;
}

export function resultsOptions<T>(y: Argv<T>) {
  return y
    .option('db', { type: 'string', default: DEFAULTS.db, describe: 'SQLite results database' })
    .option('run', { type: 'number', array: true, describe: 'rows of this run; repeatable' })
    .option('board', { type: 'string' })
    .option('model', { type: 'string' })
    .option('schedule', { choices: SCHEDULES })
    .option('runner', { choices: RUNNER_KINDS })
    .option('status', { choices: RESULT_STATUSES })
    .option('limit', { type: 'number', default: DEFAULTS.resultsLimit, describe: 'the newest this many rows (or runs)' })
    .option('runs', { type: 'boolean', default: false, describe: 'list runs instead of rows' })
    .option('layers', { type: 'number', describe: 'the per-layer profile of result row ID (the id column)' })
    .option('json', { type: 'boolean', default: false })
    .option('csv', { type: 'boolean', default: false })
    .example([
      ['$0 results --model mcunet-in0 --runner qemu', 'every emulated row of mcunet-in0'],
      ['$0 results --runs --limit 5 --csv', 'the last five runs as CSV'],
      ['$0 results --layers 12', 'where row 12 spent its time, layer by layer'],
      ['$0 results import results/rig.db.pending.jsonl', 'store the rows a locked database could not take'],
      ['$0 results merge lab.db laptop.db --into results/rig.db', 'copy the runs of two stores made apart into one'],
    ]);
}

export function importOptions<T>(y: Argv<T>) {
  return y
    .positional('file', { type: 'string', demandOption: true, describe: 'a side file of rows rig could not store (<db>.pending.jsonl)' })
    .option('db', { type: 'string', default: DEFAULTS.db, describe: 'SQLite results database' });
}

/** Stores a side file's runs and rows; a row stored before is not stored again. */
export function importCommand(args: { db: string; file: string }): number {
  const r = importPending(args.db, args.file);
  progress(
    `${args.file}: ${r.rows} row${r.rows === 1 ? '' : 's'} of ${r.runs} run${r.runs === 1 ? '' : 's'} stored in ${args.db}` +
      (r.skipped === 0 ? '' : `; ${r.skipped} stored before, skipped`),
  );
  return 0;
}

export function mergeOptions<T>(y: Argv<T>) {
  return y
    .positional('sources', { type: 'string', array: true, demandOption: true, describe: 'results databases to copy from; only read, never changed' })
    .option('into', { type: 'string', demandOption: true, describe: 'the results database to copy into (created when missing); not one of the sources' })
    .option('json', { type: 'boolean', default: false, describe: 'print what was copied per source as JSON' })
    .example([
      ['$0 results merge lab.db laptop.db --into results/rig.db', 'every run and nightly of both that results/rig.db does not hold'],
      ['$0 results merge lab.db --into all.db --json', 'the counts per source as JSON'],
    ])
    .epilog(
      'A run or nightly is known by its uid: what the destination holds already is skipped, so merging again copies nothing, and in any order the same runs end up there. ' +
        'They get new ids in the destination, their rows, nightly and baseline following them. ' +
        'A run or nightly still running is left out, to be copied by a later merge once it has ended: merge stores that are idle.',
    );
}

/** Copies every run and nightly of the sources that `into` does not hold; prints what per source. */
export function mergeCommand(args: { sources: string[]; into: string; json: boolean }): number {
  const report = mergeStores(args.sources, args.into);
  const notes = report.sources.flatMap(({ source, lost, running }) => [
    ...lost.baselines.map(
      (l) =>
        `${source}: nightly ${l.sourceId} (uid ${l.uid}) was compared with nightly ${l.to}, ${l.why === 'running' ? 'still running there and left out' : 'which is in neither store'}: stored without a baseline`,
    ),
    ...lost.nightlies.map((l) => `${source}: run ${l.sourceId} (uid ${l.uid}) belongs to nightly ${l.to}, which is in neither store: stored without one`),
    ...(running.nightlies + running.runs === 0
      ? []
      : [
          `${source}: ${[running.nightlies > 0 ? plural(running.nightlies, 'nightly', 'nightlies') : '', running.runs > 0 ? plural(running.runs, 'run') : ''].filter((w) => w !== '').join(' and ')} still running, left out: merge again once ${running.nightlies + running.runs === 1 ? 'it has' : 'they have'} ended`,
        ]),
  ]);
  if (args.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else
    printListing(
      'text',
      ['source', 'schema', 'nightlies', 'runs', 'rows', 'present: nightlies', 'runs', 'rows', 'running, left out'],
      report.sources.map((r) => [
        r.source,
        r.schemaVersion,
        r.copied.nightlies,
        r.copied.runs,
        r.copied.results,
        r.present.nightlies,
        r.present.runs,
        r.present.results,
        r.running.nightlies + r.running.runs,
      ]),
      report,
      notes,
    );
  const copied = report.sources.reduce((n, r) => n + r.copied.runs, 0);
  progress(`${plural(copied, 'run')} copied into ${report.into}${report.created ? ' (created)' : ''}`);
  if (args.json) for (const note of notes) progress(note);
  return 0;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export interface ResultsArgs extends Exports {
  db: string;
  run?: number[] | undefined;
  board?: string | undefined;
  model?: string | undefined;
  schedule?: string | undefined;
  runner?: RunnerKind | undefined;
  status?: ResultStatus | undefined;
  limit: number;
  runs: boolean;
  layers?: number | undefined;
}

export function resultsCommand(args: ResultsArgs): number {
  const format = outputFormat(args);
  if (!Number.isInteger(args.limit) || args.limit < 1)
    throw new UserError(`--limit: expected a whole number of at least 1, found ${args.limit}`, { exitCode: 2 });
  if (args.layers !== undefined) {
    printLayers(format, profiledRow(args.db, args.layers));
    return 0;
  }
  if (args.runs) {
    const runs = listRuns(args.db, { board: args.board, runner: args.runner, limit: args.limit });
    const cells = runs.map(({ run: r, okRows, rows, suite }) => [
      r.id,
      r.startedAt,
      r.endedAt,
      r.status,
      r.board,
      r.runner,
      okRows,
      rows,
      suite,
      r.gitRevision,
      r.host,
    ]);
    printListing(
      format,
      ['run', 'started', 'ended', 'status', 'board', 'runner', 'ok rows', 'rows', 'nightly suite', 'git revision', 'host'],
      cells,
      runs.map((r) => r.run),
    );
    return 0;
  }
  const rows = listResults(args.db, {
    runIds: args.run,
    board: args.board,
    model: args.model,
    schedule: args.schedule,
    runner: args.runner,
    status: args.status,
    limit: args.limit,
  });
  if (rows.length === 0 && format === 'text') progress(`No result rows in ${args.db} match; rig bench stores some`);
  printListing(
    format,
    ['id', 'created', ...RESULT_HEADERS],
    rows.map((r) => [r.id, r.createdAt, ...resultCells(r)]),
    rows,
  );
  return 0;
}

/** A row's profile: one line per layer, then what the layers add up to and what is outside them. */
function printLayers(format: ReturnType<typeof outputFormat>, row: StoredResult & { profile: Profile }): void {
  const { profile } = row;
  const unit = unitLabel(row.latency?.unit ?? RUNNER_UNIT[row.runner]);
  const cells = profile.layers.map((l, i) => [
    i,
    l.name,
    l.op,
    l.shape.join('×'),
    l.macs,
    l.latency,
    l.macs === 0 ? null : (l.latency / l.macs).toFixed(2),
    `${((100 * l.latency) / profile.total).toFixed(1)}%`,
  ]);
  const sum = profile.layers.reduce((a, l) => a + l.latency, 0);
  const notes = [
    '',
    `Row ${row.id}: ${row.model} ${scheduleLabel(row.schedule, row.scheduleOptions)} on ${row.board} (${row.runner}), kernels ${kernelsOf(row)}; one profiled inference after the timed runs.`,
    `The layers: ${formatInt(sum)} ${unit}, ${pct(sum, profile.total)} against the whole profiled inference (${formatInt(profile.total)})${row.latency === null ? '' : ` and ${pct(sum, row.latency.median)} against the timed median (${formatInt(row.latency.median)})`}.`,
    `Outside them: the input copy ${formatInt(profile.input)}, region copies ${formatInt(profile.copies)}, before the first step and after the last ${formatInt(profile.rest)}.`,
  ];
  printListing(
    format,
    ['#', 'layer', 'operator', 'output', 'MACs', unit, 'per MAC', 'share'],
    cells,
    { id: row.id, unit: row.latency?.unit ?? RUNNER_UNIT[row.runner], ...profile },
    notes,
  );
}

export function compareOptions<T>(y: Argv<T>) {
  return y
    .positional('baseline', { type: 'number', demandOption: true, describe: 'run id before' })
    .positional('current', { type: 'number', demandOption: true, describe: 'run id now' })
    .option('db', { type: 'string', default: DEFAULTS.db, describe: 'SQLite results database' })
    .option('threshold', {
      type: 'number',
      default: DEFAULTS.compareThresholdPercent,
      describe: 'silicon cycles: the least change of the median, percent, that counts (emulated instructions: any)',
    })
    .option('json', { type: 'boolean', default: false })
    .option('csv', { type: 'boolean', default: false });
}

export interface CompareArgs extends Exports {
  db: string;
  baseline: number;
  current: number;
  threshold: number;
}

/** Exit status 1 when a case regressed, failed or went missing, like diff's "differences found". */
export function compareCommand(args: CompareArgs): number {
  const format = outputFormat(args);
  if (!(args.threshold >= 0 && args.threshold <= 100))
    throw new UserError(`--threshold: expected a percentage from 0 to 100, found ${args.threshold}`, { exitCode: 2 });
  const comparison = compareRuns(args.db, args.baseline, args.current, args.threshold / 100);
  printComparison(format, comparison.cases, comparison, comparison.rule);
  return comparison.cases.some((c) => FAILING_VERDICTS.has(c.verdict)) ? 1 : 0;
}
