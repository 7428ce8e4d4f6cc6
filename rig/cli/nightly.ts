// rig nightly: run a suite, compare it with the suite's last good night, print the comparison; or
// continue a night that was cut short (--resume).
import type { Argv } from 'yargs';
import { runNightly, type NightlyRequest } from '../bench/nightly.js';
import { DEFAULTS, shownPath } from '../defaults.js';
import { FAILING_VERDICTS } from '../results/compare.js';
import { UserError } from '../util/errors.js';
import { progress } from '../util/log.js';
import { withInterrupt } from './interrupt.js';
import { outputFormat, printComparison } from './table.js';

export function nightlyOptions<T>(y: Argv<T>) {
  return y
    .option('suite', { type: 'string', demandOption: true, describe: 'suite name (boards/suites/NAME.json) or path' })
    .option('db', { type: 'string', default: DEFAULTS.db, describe: 'SQLite results database' })
    .option('out-dir', { type: 'string', default: DEFAULTS.nightlyDir, describe: 'where <suite>/<nightly id>/ gets report.html, junit.xml and summary.json' })
    .option('baseline', { type: 'number', describe: "compare with this nightly id instead of the suite's last passed one" })
    .option('resume', {
      type: 'string',
      describe:
        "continue the suite's newest interrupted or abandoned nightly (--resume ID: that one): run only the cases it has no row for, under its id and against its baseline, then judge all its rows and write its files again",
    })
    .option('lab', { type: 'string', describe: `lab inventory naming the physical boards (default ${shownPath(DEFAULTS.lab)}, if present)` })
    .option('wait', { type: 'boolean', default: DEFAULTS.wait, describe: 'wait while another rig process uses a board (--no-wait: its rows fail)' })
    .option('build-dir', { type: 'string', default: DEFAULTS.buildDir, describe: 'where generated sources, ELF and map files go' })
    .option('queue', {
      type: 'string',
      describe: "the lab's Redis (redis://…): every entry's cases go to the lab's workers of its board kind, the rows come back here",
    })
    .option('queue-wait', {
      type: 'number',
      describe: `--queue: milliseconds cases wait while no worker of their board kind listens; then each is a device-error row (default ${DEFAULTS.queueWaitMs})`,
    })
    .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON' })
    .option('csv', { type: 'boolean', default: false, describe: 'print the case comparison as CSV' })
    .example([
      ['$0 nightly --suite emulated', 'the emulated suite; scripts/nightly.sh is the cron entry point'],
      ['$0 nightly --suite emulated --resume', "finish the suite's newest night that a signal or a crash cut short"],
    ]);
}

export interface NightlyArgs extends Omit<NightlyRequest, 'resume' | 'queueWaitMs'> {
  /** `--resume` alone is '' (the newest resumable night); `--resume ID` names one. */
  resume?: string | undefined;
  queueWait?: number | undefined;
  json?: boolean | undefined;
  csv?: boolean | undefined;
}

/** `--resume`'s value: none, the newest resumable night, or a nightly id. */
export function resumeTarget(given: string | undefined): NightlyRequest['resume'] {
  if (given === undefined) return undefined;
  if (given === '') return 'newest';
  if (!/^[1-9]\d*$/.test(given))
    throw new UserError(`--resume ${given}: expected a nightly id (a whole number), or nothing for the suite's newest interrupted or abandoned nightly`, {
      exitCode: 2,
    });
  return Number(given);
}

export async function nightlyCommand(args: NightlyArgs): Promise<number> {
  const format = outputFormat(args);
  const resume = resumeTarget(args.resume);
  const summary = await withInterrupt((signal) =>
    runNightly(
      {
        suite: args.suite,
        db: args.db,
        outDir: args.outDir,
        baseline: args.baseline,
        resume,
        lab: args.lab,
        buildDir: args.buildDir,
        wait: args.wait,
        queue: args.queue,
        queueWaitMs: args.queueWait,
      },
      signal,
    ),
  );
  const comparisons = summary.cases;
  printComparison(format, comparisons, summary, summary.rule);
  const failing = comparisons.filter((c) => FAILING_VERDICTS.has(c.verdict)).length;
  progress(
    `Nightly ${summary.nightly} ${summary.status}${failing > 0 ? ` (${failing} of ${comparisons.length} cases)` : ''}: ${Object.values(summary.files).join(', ')}`,
  );
  return summary.status === 'passed' ? 0 : 1;
}
