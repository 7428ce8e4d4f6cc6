// rig report: one self-contained HTML page of stored results, charts included, readable offline.
import type { Argv } from 'yargs';
import { DEFAULTS } from '../defaults.js';
import { reportRuns } from '../report/write.js';
import { UserError } from '../util/errors.js';
import { progress } from '../util/log.js';

export function reportOptions<T>(y: Argv<T>) {
  return y
    .option('run', { type: 'number', array: true, describe: 'a run id to report; repeatable (default: the newest run, or its whole nightly)' })
    .option('nightly', { type: 'number', describe: 'report every run of this nightly' })
    .option('db', { type: 'string', default: DEFAULTS.db, describe: 'SQLite results database' })
    .option('out', { type: 'string', default: DEFAULTS.reportPath, describe: 'the HTML file to write' })
    .option('json', { type: 'boolean', default: false, describe: 'print { path, runIds } as JSON on stdout' });
}

export interface ReportArgs {
  run?: number[] | undefined;
  nightly?: number | undefined;
  db: string;
  out: string;
  json: boolean;
}

const isId = (n: number) => Number.isSafeInteger(n) && n > 0;

export async function reportCommand(args: ReportArgs): Promise<number> {
  const bad = [
    ...(args.run ?? []).filter((n) => !isId(n)).map((n) => `--run ${n}`),
    ...(args.nightly !== undefined && !isId(args.nightly) ? [`--nightly ${args.nightly}`] : []),
  ];
  if (bad.length > 0) throw new UserError(`Expected run and nightly ids (whole numbers from 1), found ${bad.join(', ')}`, { exitCode: 2 });
  const written = await reportRuns({ db: args.db, selection: { runIds: args.run, nightlyId: args.nightly }, out: args.out });
  progress(`Wrote ${written.path} (runs ${written.runIds.join(', ')})`);
  if (args.json) process.stdout.write(JSON.stringify(written, null, 2) + '\n');
  return 0;
}
