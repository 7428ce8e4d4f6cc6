// Physical boards: find the ST-LINK probe and its virtual COM port, program the image through
// openocd, then hold the same telemetry conversation as under emulation, timed in CPU cycles by
// the core's DWT counter. It never falls back to emulation.
import { setTimeout as sleep } from 'node:timers/promises';
import type { SerialPort } from 'serialport';
import { hardwareTarget, HARDWARE_BAUD } from '../compile/firmware.js';
import type { Board } from '../config/board.js';
import { runTool } from '../proc/run.js';
import { openSerialLink, type SerialLink } from '../telemetry/serial.js';
import { parseLine } from '../telemetry/protocol.js';
import { emptyTelemetry, runSession, type LineLink, type SessionOutcome } from '../telemetry/session.js';
import { UserError } from '../util/errors.js';
import { createDebug } from '../util/log.js';
import { OPENOCD, OPENOCD_HINT, programBoard, resetBoard } from './openocd.js';
import { sessionOptions, type AttachOutcome, type AttachRequest, type Conversation, type Runner, type RunRequest } from './types.js';

const debug = createDebug('hardware');
/** stm32.c runs SysTick from HCLK / 8: CPU cycles per SysTick tick. */
export const CYCLES_PER_SYSTICK_TICK = 8;
/** From reset to the first hello: clocks, caches and one hello period (about 50 ms). */
const HELLO_TIMEOUT_MS = 5_000;

export interface ProbePort {
  path: string;
  vendorId: string;
  productId: string;
  serialNumber: string | null;
}

/** ST-LINK virtual COM ports attached now, matched on the board file's USB ids. */
export async function findProbePorts(board: Board): Promise<{ ports: ProbePort[]; listError: string | null }> {
  let all: Awaited<ReturnType<typeof SerialPort.list>>;
  try {
    all = await (await import('serialport')).SerialPort.list();
  } catch (error) {
    return { ports: [], listError: (error as Error).message };
  }
  const ports = all
    .filter((p) => p.vendorId?.toLowerCase() === board.probe.vendorId && board.probe.productIds.includes(p.productId?.toLowerCase() ?? ''))
    .map((p) => ({ path: p.path, vendorId: p.vendorId!, productId: p.productId!, serialNumber: p.serialNumber ?? null }));
  return { ports, listError: null };
}

export const describePort = (p: ProbePort) => `${p.path} (${p.vendorId}:${p.productId}${p.serialNumber ? `, serial ${p.serialNumber}` : ''})`;

export interface ProbeChoice {
  /** The probe's serial port (its virtual COM port). */
  port: string;
  /** The probe's serial number, for openocd; null lets openocd take the only one. */
  probeSerial: string | null;
}

/**
 * The probe to use: `--port` (and `--probe`) as given, or the one attached probe, or the one
 * with serial `--probe`. Fails fast, naming what it looked for, what it found, and how to emulate.
 */
export async function chooseProbe(board: Board, given: { port?: string | undefined; probe?: string | undefined }, command = 'bench'): Promise<ProbeChoice> {
  if (given.port !== undefined) return { port: given.port, probeSerial: given.probe ?? null };
  const { ports, listError } = await findProbePorts(board);
  const ids = board.probe.productIds.map((p) => `${board.probe.vendorId}:${p}`).join(', ');
  const boards = Object.values(board.variants)
    .map((v) => v.board)
    .join(' or ');
  const emulate = `To run on the emulated ${board.id} instead: rig ${command} --board ${board.id} --emulate`;
  const matching = given.probe === undefined ? ports : ports.filter((p) => p.serialNumber === given.probe);
  if (matching.length === 1) return { port: matching[0]!.path, probeSerial: matching[0]!.serialNumber };
  if (matching.length === 0) {
    const why =
      listError !== null
        ? `listing serial ports failed: ${listError}`
        : ports.length === 0
          ? 'none is attached'
          : `found only ${ports.map(describePort).join(', ')}`;
    const wanted = given.probe === undefined ? '' : ` with serial ${given.probe}`;
    throw new UserError(`No ST-LINK probe found for ${board.id} (${boards})${wanted}: looked for USB serial ports with ids ${ids}; ${why}.\n${emulate}`);
  }
  throw new UserError(
    `Several ST-LINK probes are attached: ${matching.map(describePort).join(', ')}. Choose one with --probe SERIAL (rig boards lists them).`,
    { exitCode: 2 },
  );
}

/**
 * What a fault the board support reports instead of hello (PROTOCOL.md, error codes clock-*) most
 * likely means on this board variant, and what to do about it; null for other codes.
 */
export function boardFaultDetail(board: Board, variantName: string, code: string): string | null {
  const variant = board.variants[variantName]!;
  const mhz = variant.hse.hz / 1e6;
  const config = `${board.file}: variants.${variantName}.hse`;
  const onHsi = 'the firmware runs on the 16 MHz HSI instead and does not benchmark';
  switch (code) {
    case 'clock-hse': {
      const cause = variant.hse.bypass
        ? `${variant.board} takes HSE as an external ${mhz} MHz clock on OSC_IN (HSE bypass), which a NUCLEO board gets from its ST-LINK's MCO output: check that the solder bridge from the ST-LINK's MCO to OSC_IN is closed (the board's user manual, "HSE clock") and that the ST-LINK side of the board is powered`
        : `${variant.board} takes HSE from its ${mhz} MHz crystal on OSC_IN/OSC_OUT: check that the crystal is fitted and oscillates (the board's user manual, "HSE clock")`;
      return `the HSE clock never became ready (firmware error code=clock-hse); ${onHsi}. ${cause}. ${config} must describe the board's clock`;
    }
    case 'clock-pll':
      return `the main PLL did not lock on the ${mhz} MHz HSE (firmware error code=clock-pll); ${onHsi}. Check that OSC_IN gets ${mhz} MHz, as ${config}.hz says`;
    case 'clock-overdrive':
      return `the voltage regulator's over-drive, needed for ${board.maxClockHz / 1e6} MHz, did not become ready (firmware error code=clock-overdrive); ${onHsi}. Check the board's power supply`;
    case 'clock-switch':
      return `the system clock did not switch over (firmware error code=clock-switch); ${onHsi}, if it could switch back. Power-cycle the board and run rig selftest --board ${board.id}`;
    default:
      return null;
  }
}

export function createHardwareRunner(board: Board, variant: string, probe: ProbeChoice, arenaRam: string): Runner {
  /** Programs the image unless the board already runs it; a failure is the outcome, null is success. */
  const ensureFlashed = async (elfPath: string, fw: string, signal: AbortSignal | undefined) => {
    // A board that already runs this very image (its hello names the build id) is not flashed again.
    const running = await runningFirmware(probe.port, signal);
    if (running === fw) {
      debug(`${probe.port} already runs firmware ${running}: not flashing`);
      return { flashed: false, failure: null };
    }
    const flashed = await programBoard(board, variant, elfPath, probe.probeSerial, signal);
    debug(flashed.log);
    if (flashed.ok) return { flashed: true, failure: null };
    return { flashed: false, failure: { status: flashed.failure === 'timeout' ? ('timeout' as const) : ('device-error' as const), detail: flashed.detail } };
  };
  return {
    kind: 'hardware',
    board,
    latencyUnit: 'cycles',
    timer: 'dwt',
    target: hardwareTarget(board, variant, arenaRam),
    toLatency: (ticks) => ticks,
    async versions(signal) {
      const r = await runTool(OPENOCD, ['--version'], { timeoutMs: 10_000, signal, installHint: OPENOCD_HINT });
      return { openocd: (r.stderr || r.stdout).split('\n')[0]?.trim() ?? 'unknown' };
    },
    async run(request: RunRequest): Promise<SessionOutcome> {
      const { failure } = await ensureFlashed(request.elfPath, request.expect.fw, request.signal);
      if (failure !== null) return { ok: false, ...failure, phase: 'flash', telemetry: emptyTelemetry() };
      const first = await converse(probe.port, request);
      // A clock that does not start is no hang: a reset would not help. Say what to check instead.
      if (!first.ok && first.firmwareError !== undefined) {
        const fault = boardFaultDetail(board, variant, first.firmwareError);
        if (fault !== null) return { ...first, detail: fault };
      }
      if (first.ok || (first.status !== 'timeout' && first.status !== 'device-error')) return first;
      // A board that hung, reset or dropped off USB: reset it through the probe, reopen its port
      // (it may have re-enumerated) and try once more; the row says what happened.
      const reset = await resetBoard(board, variant, probe.probeSerial, request.signal);
      if (!reset.ok) return { ...first, detail: `${first.detail}; resetting the board failed too: ${reset.detail}` };
      const second = await converse(probe.port, request);
      const what = `${first.phase}: ${first.detail}`;
      if (second.ok) return { ok: true, telemetry: second.telemetry, note: `the first attempt failed (${what}); after a reset the second succeeded` };
      return { ...second, detail: `${second.detail} (also before a reset: ${what})` };
    },
    async attach<T extends Conversation>(request: AttachRequest, talk: (link: LineLink) => Promise<T>): Promise<AttachOutcome<T>> {
      const { flashed, failure } = await ensureFlashed(request.elfPath, request.fw, request.signal);
      if (failure !== null) return { ok: false, phase: 'flash', ...failure };
      let link: SerialLink;
      try {
        link = await openSerialLink(probe.port, HARDWARE_BAUD);
      } catch (error) {
        if (request.signal?.aborted) throw error;
        return { ok: false, phase: 'boot', status: 'device-error', detail: `cannot open ${probe.port}: ${(error as Error).message}` };
      }
      try {
        const started = flashed
          ? `programmed through openocd (${board.variants[variant]!.openocdConfig})`
          : `already running firmware ${request.fw}: not flashed`;
        return { ok: true, value: await talk(link), started, exit: null };
      } finally {
        await link.close();
      }
    },
  };
}

/** How long to listen for the hello of the firmware the board runs now (it repeats every ~50 ms). */
const LISTEN_MS = 300;

/** The build id the board's current firmware announces, or null when it says nothing valid in time. */
async function runningFirmware(port: string, signal?: AbortSignal): Promise<string | null> {
  let link: SerialLink | undefined;
  const deadline = Date.now() + LISTEN_MS;
  try {
    link = await openSerialLink(port, HARDWARE_BAUD);
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return null;
      const line = link.lines.next();
      line.catch(() => undefined); // settles when the link closes, maybe after the race is over
      const next = await Promise.race([line, sleep(left, 'timeout' as const, { signal })]);
      if (next === 'timeout' || next.done === true) return null;
      const parsed = parseLine(next.value);
      if (parsed.ok && parsed.message.kind === 'hello') return parsed.message.fw;
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    return null; // a port that cannot be opened now is the flash step's and the session's concern
  } finally {
    await link?.close();
  }
}

/** One conversation over the board's port, opened for it and closed after. */
async function converse(port: string, request: RunRequest): Promise<SessionOutcome> {
  let link: SerialLink | undefined;
  try {
    link = await openSerialLink(port, HARDWARE_BAUD);
    return await runSession(link, sessionOptions(request, HELLO_TIMEOUT_MS));
  } catch (error) {
    if (request.signal?.aborted) throw error;
    return { ok: false, status: 'device-error', phase: 'boot', detail: `cannot open ${port}: ${(error as Error).message}`, telemetry: emptyTelemetry() };
  } finally {
    await link?.close();
  }
}
