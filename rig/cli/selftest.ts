// rig selftest: checks a board before it benchmarks anything. Builds the selftest image, flashes
// it (or boots it in QEMU), and holds the selftest conversation: UART round trips of several
// sizes, SysTick, the cycle counter against SysTick, the core clock against the host's clock.
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { targetDirName } from '../bench/bench.js';
import { lockRunner } from '../bench/session.js';
import { buildSelftest } from '../compile/firmware.js';
import { boardFaultDetail, CYCLES_PER_SYSTICK_TICK } from '../deploy/hardware.js';
import { runSelftest, type Check, type ClockExpectation } from '../telemetry/selftest.js';
import { UserError } from '../util/errors.js';
import { progress } from '../util/log.js';
import { BUILD_DIR } from '../util/paths.js';
import { boardOptions, openBoard, withInterrupt, type BoardArgs } from './bench.js';
import { renderTable } from './table.js';

/** Ping payload sizes: a byte, a short and a medium command, and the longest line the firmware echoes. */
export const PING_SIZES = [1, 16, 64, 256] as const;
const PINGS_PER_SIZE = 5;
/** The core clock may be this far off (as a fraction), plus the host's measured latency. */
export const CLOCK_TOLERANCE = 0.02;
/** Between the two clock marks: long enough that a few ms of USB latency stay well under 1%. */
const SILICON_WINDOW_MS = 1_500;
/** Under emulation the marks only check that SysTick counts: no need to wait long. */
const EMULATED_WINDOW_MS = 200;
const HELLO_TIMEOUT_MS = 10_000;
const REPLY_TIMEOUT_MS = 1_000;
/** Bounds the emulator for the whole conversation. */
const ATTACH_TIMEOUT_MS = 120_000;

export function selftestOptions<T>(y: Argv<T>) {
  return boardOptions(y)
    .option('build-dir', { type: 'string', default: BUILD_DIR, describe: 'where the selftest image goes (<board>-<variant>…/selftest/)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the checks as JSON on stdout' });
}

export interface SelftestArgs extends BoardArgs {
  buildDir: string;
  json: boolean;
}

export interface SelftestReport {
  board: string;
  variant: string | null;
  runner: 'qemu' | 'hardware';
  port: string | null;
  firmware: string | null;
  /** How the image came to run (flashed, already running, QEMU). */
  started: string | null;
  checks: Check[];
  passed: boolean;
}

export async function selftestCommand(args: SelftestArgs): Promise<number> {
  const { board, session } = await openBoard(args, 'selftest');
  const { runner, probe } = session;
  const target = runner.target;
  const variant = target.variant;
  const where = variant === null ? `${board.id} (emulated, QEMU ${board.emulation.qemuMachine})` : `${board.id} ${variant} (${board.variants[variant]!.board})`;
  const clock: ClockExpectation =
    runner.kind === 'hardware'
      ? { kind: 'measure', hz: board.maxClockHz, tolerance: CLOCK_TOLERANCE, cyclesPerTick: CYCLES_PER_SYSTICK_TICK }
      : {
          kind: 'not-applicable',
          reason: `QEMU runs with -icount shift=${board.emulation.icountShift}: emulated time counts instructions, not seconds, so it has no clock rate to measure`,
          counterReason: 'QEMU models no DWT cycle counter',
        };

  const report = await withInterrupt(async (signal): Promise<SelftestReport> => {
    const lock = await lockRunner(session, args.wait, signal);
    try {
      progress(`${where}: building the selftest image`);
      const built = await buildSelftest(board, target, join(args.buildDir, targetDirName(board, target), 'selftest'), signal);
      if (!built.ok) throw new UserError(`The selftest image for ${where} did not build: ${built.reason}: ${built.detail}`);
      progress(`${where}: ${runner.kind === 'hardware' ? `programming it (unless it runs already) and checking the board on ${probe!.port}` : 'checking the emulated board'}`);
      const outcome = await runner.attach({ elfPath: built.elfPath, fw: built.buildId, timeoutMs: ATTACH_TIMEOUT_MS, signal }, (link) =>
        runSelftest(link, {
          expect: { fw: built.buildId, board: board.id, timer: runner.timer },
          clock,
          windowMs: runner.kind === 'hardware' ? SILICON_WINDOW_MS : EMULATED_WINDOW_MS,
          pingSizes: PING_SIZES,
          pingsPerSize: PINGS_PER_SIZE,
          helloTimeoutMs: HELLO_TIMEOUT_MS,
          replyTimeoutMs: REPLY_TIMEOUT_MS,
          explainFault: variant === null ? undefined : (code) => boardFaultDetail(board, variant, code),
          signal,
        }),
      );
      const base = { board: board.id, variant, runner: runner.kind, port: probe?.port ?? null, firmware: built.buildId };
      if (!outcome.ok) {
        const check: Check = { name: outcome.phase === 'flash' ? 'flash' : 'start', result: 'fail', measured: outcome.status, expected: outcome.phase === 'flash' ? 'programmed and verified' : 'the image starts', note: outcome.detail };
        return { ...base, started: null, checks: [check], passed: false };
      }
      const checks = [...outcome.value.checks];
      if (outcome.exit !== null) {
        checks.push({ name: 'emulator exit', result: outcome.exit.ok ? 'pass' : 'fail', measured: outcome.exit.detail, expected: 'QEMU exits with 0 after the end', note: null });
      }
      return { ...base, started: outcome.started, checks, passed: checks.every((c) => c.result !== 'fail') };
    } finally {
      lock?.release();
    }
  });

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
