// rig tables NAME: one of the papers' tables, the published figures beside the rig's and the difference.
import type { Argv } from 'yargs';
import { DEFAULTS } from '../defaults.js';
import { RUNNER_KINDS, type RunnerKind } from '../results/row.js';
import { FORMATS, render, type Format } from '../tables/paper-table.js';
import { paperTable, TABLE_NAMES, type TableName } from '../tables/tables.js';
import { UserError } from '../util/errors.js';
import { outputFormat } from './table.js';

export function tablesOptions<T>(y: Argv<T>) {
  return y
    .positional('name', { type: 'string', describe: `the table: ${TABLE_NAMES.join(', ')}` })
    .option('format', { choices: FORMATS, default: DEFAULTS.tablesFormat, describe: 'md (a GitHub-markdown table and its notes), csv or json' })
    .option('json', { type: 'boolean', default: false, describe: 'the same as --format json' })
    .option('csv', { type: 'boolean', default: false, describe: 'the same as --format csv' })
    .option('db', { type: 'string', default: DEFAULTS.db, describe: 'results database the measured columns read' })
    .option('board', { type: 'string', default: DEFAULTS.board, describe: 'measured columns: the board the rows were measured on' })
    .option('runner', { choices: RUNNER_KINDS, default: DEFAULTS.tablesRunner, describe: 'measured columns: emulated (instructions) or silicon (cycles)' })
    .option('seed', { type: 'number', default: DEFAULTS.seed, describe: 'the seed of the models and of the stored rows' })
    .option('tflite-dir', {
      type: 'string',
      describe:
        "mcunet-zoo: the folder holding the MCUNet zoo's released int8 .tflite files (mcunet-10fps_imagenet.tflite, …); fills the released file's arena",
    })
    .example([
      ['$0 tables mcunetv2-table1', "MCUNetV2's Table 1 beside the rig's plan"],
      ['$0 tables streamnet --format csv', "StreamNet's comparison with the stored emulated instructions, as CSV"],
      ['$0 tables mcunet-zoo --tflite-dir models/', 'the zoo, with the arena of the released .tflite files in models/'],
    ]);
}

export interface TablesArgs {
  name?: string | undefined;
  format: Format;
  json?: boolean | undefined;
  csv?: boolean | undefined;
  db: string;
  board: string;
  runner: RunnerKind;
  seed: number;
  tfliteDir?: string | undefined;
}

export async function tablesCommand(args: TablesArgs): Promise<number> {
  const names = TABLE_NAMES.join(', ');
  if (args.name === undefined) throw new UserError(`Name a table: rig tables NAME, with NAME one of ${names}`, { exitCode: 2 });
  if (!(TABLE_NAMES as readonly string[]).includes(args.name)) throw new UserError(`Unknown table "${args.name}": expected one of ${names}`, { exitCode: 2 });
  if (!Number.isInteger(args.seed) || args.seed < 0) throw new UserError(`--seed ${args.seed}: expected a whole number of at least 0`, { exitCode: 2 });
  const exported = outputFormat(args);
  const table = await paperTable({
    name: args.name as TableName,
    seed: args.seed,
    db: args.db,
    board: args.board,
    runner: args.runner,
    tfliteDir: args.tfliteDir,
  });
  process.stdout.write(render(table, exported === 'text' ? args.format : exported));
  return 0;
}
