// rig's command line: each command parses its options, calls one function below cli/, and prints.
// Errors the user can act on print their message and exit with their code; anything else is a bug
// and prints its stack. main.ts runs it as the process; tests run it in-process.
import yargs from 'yargs';
import { UserError } from '../util/errors.js';
import { benchCommand, benchOptions, type BenchArgs } from './bench.js';
import { boardsCommand, boardsOptions } from './boards.js';
import { buildCommand, buildOptions } from './build.js';
import { doctorCommand, doctorOptions } from './doctor.js';
import { asCommandLineError } from './errors.js';
import { checkNumbers } from './numbers.js';
import { modelsCommand, modelsOptions } from './models.js';
import { nightlyCommand, nightlyOptions } from './nightly.js';
import { planCommand, planOptions } from './plan.js';
import { reportCommand, reportOptions, type ReportArgs } from './report.js';
import { compareCommand, compareOptions, importCommand, importOptions, mergeCommand, mergeOptions, resultsCommand, resultsOptions } from './results.js';
import { selftestCommand, selftestOptions, type SelftestArgs } from './selftest.js';
import { tablesCommand, tablesOptions } from './tables.js';
import { workerCommand, workerOptions, type WorkerArgs } from './worker.js';

/** Runs one command line (without `node` and the script); resolves to the exit code, or rejects with what it threw. */
export async function runCommandLine(argv: string[]): Promise<number> {
  let exitCode = 0;
  await checkNumbers(yargs(argv), argv)
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
    .command('build', 'plan, generate and compile one model for a board without running it: ELF, map and sizes', buildOptions, async (args) => {
      exitCode = await buildCommand(args);
    })
    .command(
      'plan',
      'per-layer shapes, MACs, params and memory of a model, without hardware',
      (y) =>
        planOptions(y).example([
          ['$0 plan --model mbv2-w1.0-r224 --schedule patch --patches 4 --split 5', "MCUNetV2's Table 1"],
          ['$0 plan --model mcunet-in2 --budget 128KB', 'the schedule with the fewest MACs in 128 KB'],
          ['$0 plan --model msf-vww-5fps-r80 --objective memory --mac-budget 1.1', 'the smallest arena within 1.1× the MACs'],
        ]),
      async (args) => {
        exitCode = await planCommand(args);
      },
    )
    .command('models', 'the built-in models with MACs, params, peak memory and flash', modelsOptions, async (args) => {
      exitCode = await modelsCommand(args);
    })
    .command(
      'tables [name]',
      "the papers' tables (mcunet-zoo, mcunetv2-table1, msf-cnn, streamnet, mcuformer): published figures beside the rig's",
      tablesOptions,
      async (args) => {
        exitCode = await tablesCommand(args);
      },
    )
    .command(
      'results',
      'stored result rows (or runs, with --runs), newest last, filtered by run, board, model, schedule, runner, status',
      (y) =>
        resultsOptions(y)
          .command('import <file>', 'store the rows a locked database could not take, from its side file (<db>.pending.jsonl)', importOptions, (args) => {
            exitCode = importCommand(args);
          })
          .command(
            'merge <sources..>',
            'copy into --into every run and nightly of other stores (with their rows) that it does not hold; the sources are only read',
            mergeOptions,
            (args) => {
              exitCode = mergeCommand(args);
            },
          ),
      (args) => {
        exitCode = resultsCommand(args);
      },
    )
    .command(
      'compare <baseline> <current>',
      'two runs case by case: latency, arena, flash and MACs before and now, status changes; exit 1 on a regression',
      compareOptions,
      (args) => {
        exitCode = compareCommand(args);
      },
    )
    .command(
      'nightly',
      'run a suite (boards/suites/NAME.json), compare with its last good night, write report, JUnit and summary; exit 1 on any regression or failure',
      nightlyOptions,
      async (args) => {
        exitCode = await nightlyCommand(args);
      },
    )
    .command(
      'worker',
      "a lab host's worker: runs the cases the lab's queue holds for its board until stopped (SIGTERM drains it)",
      workerOptions,
      async (args) => {
        exitCode = await workerCommand(args as unknown as WorkerArgs);
      },
    )
    .command('boards', 'the board files, the lab inventory, and the ST-LINK probes attached with their serial ports', boardsOptions, async (args) => {
      exitCode = await boardsCommand(args);
    })
    .command(
      'selftest',
      "check a board before benchmarking on it: UART round trips, SysTick, the cycle counter, the core clock against the host's",
      (y) =>
        selftestOptions(y).example([
          ['$0 selftest --board f746', 'a physical NUCLEO-F746ZG: flashes the selftest image and checks it'],
          ['$0 selftest --board f746-a --json', 'a lab board by name; the checks as JSON'],
          ['$0 selftest --emulate', 'the emulated F746 (the clock checks do not apply)'],
        ]),
      async (args) => {
        exitCode = await selftestCommand(args as unknown as SelftestArgs);
      },
    )
    .command('doctor', 'check the tools rig needs and say how to install what is missing', doctorOptions, async (args) => {
      exitCode = await doctorCommand(args);
    })
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
    .demandCommand(
      1,
      'Name a command: rig bench, plan, build, models, tables, results, compare, nightly, report, boards, selftest, doctor (rig --help says what each does)',
    )
    .strict()
    .fail((message, error) => {
      if (error) throw error;
      throw new UserError(`${message} (rig --help lists the commands and options)`, { exitCode: 2 });
    })
    .help()
    .parseAsync();
  return exitCode;
}

/** What a command that threw prints on stderr, and its exit code: a user's error as `rig: message`, anything else as a bug with its stack (70). */
export function failure(thrown: unknown): { message: string; exitCode: number } {
  const error = asCommandLineError(thrown);
  if (error instanceof UserError) return { message: `rig: ${error.message}\n`, exitCode: error.exitCode };
  return {
    message: `rig: internal error (a bug; please report it with the command you ran):\n${error instanceof Error ? error.stack : String(error)}\n`,
    exitCode: 70,
  };
}
