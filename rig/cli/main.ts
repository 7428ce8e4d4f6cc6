#!/usr/bin/env node
// rig's command line. Errors the user can act on print their message and exit with their code;
// anything else is a bug and prints its stack.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError } from '../util/errors.js';
import { benchCommand, benchOptions, type BenchArgs } from './bench.js';
import { doctorCommand } from './doctor.js';
import { modelsCommand, planCommand } from './plan.js';
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
          ['$0 bench', 'the built-in model on the emulated F746'],
          ['$0 bench --board f746 --emulate --json', 'the same, result rows as JSON'],
          ['$0 bench --board f746', 'on a physical NUCLEO-F746ZG / 32F746GDISCOVERY'],
        ]),
      async (args) => {
        exitCode = await benchCommand(args as unknown as BenchArgs);
      },
    )
    .command(
      'plan',
      'per-layer shapes, MACs, params and memory of a model, without hardware',
      (y) =>
        y
          .option('model', { type: 'string', default: DEFAULT_MODEL, describe: 'built-in model name or path to a model spec (.json)' })
          .option('schedule', { choices: ['layer', 'patch'] as const, default: 'layer' as const })
          .option('patches', { type: 'number', describe: 'patch: a P×P grid over the patch stage output (default 2)' })
          .option('split', { type: 'number', describe: 'patch: the stage is the first N blocks (default: the lowest peak)' })
          .option('seed', { type: 'number', default: 1 })
          .option('json', { type: 'boolean', default: false }),
      async (args) => {
        exitCode = await planCommand(args);
      },
    )
    .command(
      'models',
      'the built-in models with MACs, params, peak memory and flash',
      (y) => y.option('seed', { type: 'number', default: 1 }).option('json', { type: 'boolean', default: false }),
      async (args) => {
        exitCode = await modelsCommand(args);
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
    .demandCommand(1, 'Name a command: rig bench, rig plan, rig models, rig doctor (rig --help lists them)')
    .strict()
    .fail((message, error) => {
      if (error) throw error;
      throw new UserError(`${message} (rig --help lists the commands and options)`, { exitCode: 2 });
    })
    .help()
    .parseAsync();
  return exitCode;
}

main(hideBin(process.argv)).then(
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
