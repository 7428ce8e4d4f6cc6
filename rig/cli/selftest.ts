// rig selftest: checks a board before it benchmarks anything, and prints what each check found.
import type { Argv } from 'yargs';
import { selftestBoard, type SelftestReport } from '../bench/selftest.js';
import { DEFAULTS } from '../defaults.js';
import type { Check } from '../telemetry/selftest.js';
import { withInterrupt } from './interrupt.js';
import { BOARD_OPTIONS, type BoardArgs } from './options.js';
import { renderTable } from './table.js';

export function selftestOptions<T>(y: Argv<T>) {
  return y
    .options(BOARD_OPTIONS)
    .option('build-dir', { type: 'string', default: DEFAULTS.buildDir, describe: 'where the selftest image goes (<board>-<variant>…/selftest/)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the checks as JSON on stdout' });
}

export interface SelftestArgs extends BoardArgs {
  buildDir: string;
  json: boolean;
}

export async function selftestCommand(args: SelftestArgs): Promise<number> {
  const board = { board: args.board, lab: args.lab, emulate: args.emulate, variant: args.variant, probe: args.probe, port: args.port };
  const { report, where } = await withInterrupt((signal) => selftestBoard({ board, buildDir: args.buildDir, wait: args.wait }, signal));
  if (args.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else process.stdout.write(selftestTable(report, where));
  return report.passed ? 0 : 1;
}

export function selftestTable(report: SelftestReport, where: string): string {
  const on = report.port === null ? '' : ` on ${report.port}`;
  const head = `selftest of ${where}${on}: firmware ${report.firmware ?? '-'}${report.started === null ? '' : `, ${report.started}`}`;
  const rows = report.checks.map((c) => [c.name, c.result, c.measured, c.expected]);
  const notes = report.checks.filter((c) => c.note !== null).map((c) => `${c.name}: ${c.result}: ${c.note}`);
  const count = (r: Check['result']) => report.checks.filter((c) => c.result === r).length;
  const summary = `${count('pass')} passed, ${count('fail')} failed, ${count('n.a.')} not applicable: ${report.passed ? 'the board is ready' : 'the board is not ready'}`;
  return [head, '', renderTable(['check', 'result', 'measured', 'expected'], rows), ...(notes.length > 0 ? ['', ...notes] : []), '', summary, ''].join('\n');
}
