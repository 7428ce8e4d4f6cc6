#!/usr/bin/env node
// rig's command line. Errors the user can act on print their message and exit with their code;
// anything else is a bug and prints its stack.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError } from '../util/errors.js';
import { benchCommand, benchOptions, DEFAULT_BOARD, DEFAULT_DB, SCHEDULES, type BenchArgs } from './bench.js';
import { RESULT_STATUSES } from '../store/db.js';
import { boardsCommand } from './boards.js';
import { buildCommand } from './build.js';
import { BUILD_DIR } from '../util/paths.js';
import { doctorCommand } from './doctor.js';
import { selftestCommand, selftestOptions, type SelftestArgs } from './selftest.js';
import { nightlyCommand, NIGHTLY_DIR } from './nightly.js';
import { compareCommand, DEFAULT_THRESHOLD_PERCENT, resultsCommand } from './results.js';
import { reportCommand, reportOptions, type ReportArgs } from './report.js';
import { modelsCommand, planCommand } from './plan.js';
import { tablesCommand, tablesOptions } from './tables.js';
import { DEFAULT_MODEL } from '../model/zoo.js';

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  await yargs(argv)
    .scriptName('rig')
    .usage('$0 <command> [options]')
    .command(
      'bench',
      'build, run and measure models on an emulated or physical board',
      (y) =>
        benchOptions(y).example([
          ['$0 bench', 'mcunet-in0 on the emulated F746 under every schedule'],
          ['$0 bench --model mcunet-vww1 --schedule auto', 'the schedule rig plan --budget chooses for the board'],
          ['$0 bench --board f746 --emulate --json', 'the same, result rows as JSON'],
          ['$0 bench --board f746', 'on a physical NUCLEO-F746ZG / 32F746GDISCOVERY'],
        ]),
      async (args) => {
        exitCode = await benchCommand(args as unknown as BenchArgs);
      },
    )
    .command(
      'build',
      'plan, generate and compile one model for a board without running it: ELF, map and sizes',
      (y) =>
        y
          .option('board', { type: 'string', default: DEFAULT_BOARD, describe: 'board id (boards/<id>.json) or board file' })
          .option('variant', { type: 'string', describe: "the board variant (nucleo, disco; default: the board file's)" })
          .option('emulate', { type: 'boolean', describe: 'build the image for the emulated board instead' })
          .option('arena-ram', { type: 'string', describe: "silicon: the SRAM that holds the arena (f746: all, dtcm, sram1; default: the board file's)" })
          .option('model', { type: 'string', default: DEFAULT_MODEL, describe: 'built-in model name or path to a model spec (.json)' })
          .option('schedule', { choices: SCHEDULES, default: 'layer' as const })
          .option('patches', { type: 'number', describe: 'patch, stream1d, stream2d: a P×P grid over the stage output (default 2)' })
          .option('split', { type: 'number', describe: 'patch, stream1d, stream2d: the stage is the first N blocks' })
          .option('seed', { type: 'number', default: 1 })
          .option('build-dir', { type: 'string', default: BUILD_DIR, describe: 'where generated sources, ELF and map files go' })
          .option('json', { type: 'boolean', default: false }),
      async (args) => {
        exitCode = await buildCommand(args);
      },
    )
    .command(
      'plan',
      'per-layer shapes, MACs, params and memory of a model, without hardware',
      (y) =>
        y
          .option('model', { type: 'string', default: DEFAULT_MODEL, describe: 'built-in model name or path to a model spec (.json)' })
          .option('schedule', { choices: SCHEDULES, default: 'layer' as const })
          .option('patches', { type: 'number', describe: 'patch, stream1d, stream2d: a P×P grid over the stage output (default 2)' })
          .option('split', { type: 'number', describe: 'patch, stream1d, stream2d: the stage is the first N blocks (default: the smallest arena)' })
          .option('budget', { type: 'string', describe: 'search: the least-MAC plan whose arena fits this size (e.g. 256KB; KB = 1024 B)' })
          .option('objective', { choices: ['macs', 'memory'] as const, describe: 'search: minimize MACs within --budget (default), or the arena within --mac-budget' })
          .option('mac-budget', { type: 'number', describe: 'search with --objective memory: at most this × the layer-wise MACs' })
          .option('max-patches', { type: 'number', describe: 'search: the largest grid tried (default 6)' })
          .option('board', { type: 'string', describe: `search: the board whose SRAM is the budget when --budget is omitted (default ${DEFAULT_BOARD})` })
          .option('db', { type: 'string', describe: 'search: results database with measured instructions (default results/rig.db)' })
          .option('seed', { type: 'number', default: 1 })
          .option('json', { type: 'boolean', default: false })
          .example([
            ['$0 plan --model mbv2-w1.0-r224 --schedule patch --patches 4 --split 5', "MCUNetV2's Table 1"],
            ['$0 plan --model mcunet-in2 --budget 128KB', 'the schedule with the fewest MACs in 128 KB'],
            ['$0 plan --model msf-vww-5fps-r80 --objective memory --mac-budget 1.1', 'the smallest arena within 1.1× the MACs'],
          ]),
      async (args) => {
        exitCode = await planCommand(args);
      },
    )
    .command(
      'models',
      'the built-in models with MACs, params, peak memory and flash',
      (y) => y.option('seed', { type: 'number', default: 1 }).option('json', { type: 'boolean', default: false }).option('csv', { type: 'boolean', default: false }),
      async (args) => {
        exitCode = await modelsCommand(args);
      },
    )
    .command(
      'tables [name]',
      "the papers' tables (mcunet-zoo, mcunetv2-table1, msf-cnn, streamnet): published figures beside the rig's",
      (y) => tablesOptions(y),
      async (args) => {
        exitCode = await tablesCommand(args);
      },
    )
    .command(
      'results',
      'stored result rows (or runs, with --runs), newest last, filtered by run, board, model, schedule, runner, status',
      (y) =>
        y
          .option('db', { type: 'string', default: DEFAULT_DB, describe: 'SQLite results database' })
          .option('run', { type: 'number', array: true, describe: 'rows of this run; repeatable' })
          .option('board', { type: 'string' })
          .option('model', { type: 'string' })
          .option('schedule', { choices: SCHEDULES })
          .option('runner', { choices: ['qemu', 'hardware'] as const })
          .option('status', { choices: RESULT_STATUSES })
          .option('limit', { type: 'number', default: 50, describe: 'the newest this many rows (or runs)' })
          .option('runs', { type: 'boolean', default: false, describe: 'list runs instead of rows' })
          .option('json', { type: 'boolean', default: false })
          .option('csv', { type: 'boolean', default: false })
          .example([
            ['$0 results --model mcunet-in0 --runner qemu', 'every emulated row of mcunet-in0'],
            ['$0 results --runs --limit 5 --csv', 'the last five runs as CSV'],
          ]),
      async (args) => {
        exitCode = resultsCommand(args);
      },
    )
    .command(
      'compare <baseline> <current>',
      'two runs case by case: latency, arena, flash and MACs before and now, status changes; exit 1 on a regression',
      (y) =>
        y
          .positional('baseline', { type: 'number', demandOption: true, describe: 'run id before' })
          .positional('current', { type: 'number', demandOption: true, describe: 'run id now' })
          .option('db', { type: 'string', default: DEFAULT_DB, describe: 'SQLite results database' })
          .option('threshold', { type: 'number', default: DEFAULT_THRESHOLD_PERCENT, describe: 'silicon cycles: the least change of the median, percent, that counts (emulated instructions: any)' })
          .option('json', { type: 'boolean', default: false })
          .option('csv', { type: 'boolean', default: false }),
      async (args) => {
        exitCode = compareCommand(args);
      },
    )
    .command(
      'nightly',
      "run a suite (boards/suites/NAME.json), compare with its last good night, write report, JUnit and summary; exit 1 on any regression or failure",
      (y) =>
        y
          .option('suite', { type: 'string', demandOption: true, describe: 'suite name (boards/suites/NAME.json) or path' })
          .option('db', { type: 'string', default: DEFAULT_DB, describe: 'SQLite results database' })
          .option('out-dir', { type: 'string', default: NIGHTLY_DIR, describe: 'where <suite>/<nightly id>/ gets report.html, junit.xml and summary.json' })
          .option('baseline', { type: 'number', describe: "compare with this nightly id instead of the suite's last passed one" })
          .option('lab', { type: 'string', describe: 'lab inventory naming the physical boards (default boards/lab.json, if present)' })
          .option('wait', { type: 'boolean', default: true, describe: 'wait while another rig process uses a board (--no-wait: its rows fail)' })
          .option('build-dir', { type: 'string', default: BUILD_DIR, describe: 'where generated sources, ELF and map files go' })
          .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON' })
          .option('csv', { type: 'boolean', default: false, describe: 'print the case comparison as CSV' })
          .example([['$0 nightly --suite emulated', 'the emulated suite; scripts/nightly.sh is the cron entry point']]),
      async (args) => {
        exitCode = await nightlyCommand(args);
      },
    )
    .command(
      'boards',
      'the board files, the lab inventory, and the ST-LINK probes attached with their serial ports',
      (y) =>
        y
          .option('lab', { type: 'string', describe: 'lab inventory (default boards/lab.json, if present)' })
          .option('json', { type: 'boolean', default: false }),
      async (args) => {
        exitCode = await boardsCommand(args);
      },
    )
    .command(
      'selftest',
      "check a board before benchmarking on it: UART round trips, SysTick, the cycle counter, the core clock against the host's",
      (y) =>
        selftestOptions(y).example([
          ['$0 selftest --board f746', 'a physical NUCLEO-F746ZG: flashes the selftest image and checks it'],
          ['$0 selftest --board f746-a --json', "a lab board by name; the checks as JSON"],
          ['$0 selftest --emulate', 'the emulated F746 (the clock checks do not apply)'],
        ]),
      async (args) => {
        exitCode = await selftestCommand(args as unknown as SelftestArgs);
      },
    )
    .command(
      'doctor',
      'check the tools rig needs and say how to install what is missing',
      (y) => y.option('json', { type: 'boolean', default: false }),
      async (args) => {
        exitCode = await doctorCommand(args.json);
      },
    )
    .command(
      'report',
      'one self-contained HTML page of stored runs: memory, latency, MACs, statuses and trends, readable offline',
      (y) =>
        reportOptions(y).example([
          ['$0 report', 'the newest run (or its whole nightly) into results/report.html'],
          ['$0 report --run 3 --run 4 --out /tmp/r.html', 'two runs side by side'],
          ['$0 report --nightly 12 --json', 'a nightly; prints { path, runIds }'],
        ]),
      async (args) => {
        exitCode = await reportCommand(args as unknown as ReportArgs);
      },
    )
    .demandCommand(1, 'Name a command: rig bench, plan, build, models, tables, results, compare, nightly, report, boards, selftest, doctor (rig --help says what each does)')
    .strict()
    .fail((message, error) => {
      if (error) throw error;
      throw new UserError(`${message} (rig --help lists the commands and options)`, { exitCode: 2 });
    })
    .help()
    .parseAsync();
  return exitCode;
}

// Node exits with status 0 when nothing is left to wait for, even while a promise is pending:
// a command that stops waiting that way has lost its result, which must not pass for success.
let settled = false;
process.once('beforeExit', () => {
  if (settled) return;
  process.stderr.write('rig: internal error (a bug; please report it with the command you ran): the command stopped before finishing\n');
  process.exitCode = 70;
});

main(hideBin(process.argv)).finally(() => (settled = true)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UserError) {
      process.stderr.write(`rig: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(`rig: internal error (a bug; please report it with the command you ran):\n${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 70;
    }
  },
);
