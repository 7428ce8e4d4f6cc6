// rig nightly: run a suite, compare it with the suite's last good night, print the comparison.
import type { Argv } from 'yargs';
import { runNightly, type NightlyRequest } from '../bench/nightly.js';
import { DEFAULTS, shownPath } from '../defaults.js';
import { FAILING_VERDICTS } from '../results/compare.js';
import { progress } from '../util/log.js';
import { withInterrupt } from './interrupt.js';
import { outputFormat, printComparison } from './table.js';

export function nightlyOptions<T>(y: Argv<T>) {
  return y
    .option('suite', { type: 'string', demandOption: true, describe: 'suite name (boards/suites/NAME.json) or path' })
    .option('db', { type: 'string', default: DEFAULTS.db, describe: 'SQLite results database' })
    .option('out-dir', { type: 'string', default: DEFAULTS.nightlyDir, describe: 'where <suite>/<nightly id>/ gets report.html, junit.xml and summary.json' })
    .option('baseline', { type: 'number', describe: "compare with this nightly id instead of the suite's last passed one" })
    .option('lab', { type: 'string', describe: `lab inventory naming the physical boards (default ${shownPath(DEFAULTS.lab)}, if present)` })
    .option('wait', { type: 'boolean', default: DEFAULTS.wait, describe: 'wait while another rig process uses a board (--no-wait: its rows fail)' })
    .option('build-dir', { type: 'string', default: DEFAULTS.buildDir, describe: 'where generated sources, ELF and map files go' })
    .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON' })
    .option('csv', { type: 'boolean', default: false, describe: 'print the case comparison as CSV' })
    .example([['$0 nightly --suite emulated', 'the emulated suite; scripts/nightly.sh is the cron entry point']]);
}

export interface NightlyArgs extends NightlyRequest {
  json?: boolean | undefined;
  csv?: boolean | undefined;
}

export async function nightlyCommand(args: NightlyArgs): Promise<number> {
  const format = outputFormat(args);
  const summary = await withInterrupt((signal) =>
    runNightly(
      { suite: args.suite, db: args.db, outDir: args.outDir, baseline: args.baseline, lab: args.lab, buildDir: args.buildDir, wait: args.wait },
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
