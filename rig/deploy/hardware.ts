// Physical boards: find the ST-LINK probe and its virtual COM port, program the image through
// openocd, then hold the same telemetry conversation as under emulation, timed in CPU cycles by
// the core's DWT counter. It never falls back to emulation.
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPort } from 'serialport';
import { hardwareTarget, HARDWARE_BAUD } from '../compile/firmware.js';
import type { Board } from '../config/board.js';
import { runTool } from '../proc/run.js';
import { openSerialLink, type SerialLink } from '../telemetry/serial.js';
import { parseLine } from '../telemetry/protocol.js';
import { emptyTelemetry, runSession, type SessionOutcome } from '../telemetry/session.js';
import { UserError } from '../util/errors.js';
import { createDebug } from '../util/log.js';
import { OPENOCD, OPENOCD_HINT, programBoard, resetBoard } from './openocd.js';
import { sessionOptions, type Runner, type RunRequest } from './types.js';

const debug = createDebug('hardware');
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
    all = await SerialPort.list();
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
export async function chooseProbe(board: Board, given: { port?: string | undefined; probe?: string | undefined }): Promise<ProbeChoice> {
  if (given.port !== undefined) return { port: given.port, probeSerial: given.probe ?? null };
  const { ports, listError } = await findProbePorts(board);
  const ids = board.probe.productIds.map((p) => `${board.probe.vendorId}:${p}`).join(', ');
  const boards = Object.values(board.variants).map((v) => v.board).join(' or ');
  const emulate = `To run on the emulated ${board.id} instead: rig bench --board ${board.id} --emulate`;
  const matching = given.probe === undefined ? ports : ports.filter((p) => p.serialNumber === given.probe);
  if (matching.length === 1) return { port: matching[0]!.path, probeSerial: matching[0]!.serialNumber };
  if (matching.length === 0) {
    const why = listError !== null ? `listing serial ports failed: ${listError}` : ports.length === 0 ? 'none is attached' : `found only ${ports.map(describePort).join(', ')}`;
    const wanted = given.probe === undefined ? '' : ` with serial ${given.probe}`;
    throw new UserError(`No ST-LINK probe found for ${board.id} (${boards})${wanted}: looked for USB serial ports with ids ${ids}; ${why}.\n${emulate}`);
  }
  throw new UserError(`Several ST-LINK probes are attached: ${matching.map(describePort).join(', ')}. Choose one with --probe SERIAL (rig boards lists them).`, { exitCode: 2 });
}

export function createHardwareRunner(board: Board, variant: string, probe: ProbeChoice): Runner {
  return {
    kind: 'hardware',
    board,
    latencyUnit: 'cycles',
    timer: 'dwt',
    target: hardwareTarget(board, variant),
    toLatency: (ticks) => ticks,
    async versions(signal) {
      const r = await runTool(OPENOCD, ['--version'], { timeoutMs: 10_000, signal, installHint: OPENOCD_HINT });
      return { openocd: (r.stderr || r.stdout).split('\n')[0]?.trim() ?? 'unknown' };
    },
    async run(request: RunRequest): Promise<SessionOutcome> {
      // A board that already runs this very image (its hello names the build id) is not flashed again.
      const running = await runningFirmware(probe.port, request.signal);
      if (running !== request.expect.fw) {
        const flashed = await programBoard(board, variant, request.elfPath, probe.probeSerial, request.signal);
        debug(flashed.log);
        if (!flashed.ok) {
          return { ok: false, status: flashed.failure === 'timeout' ? 'timeout' : 'device-error', phase: 'flash', detail: flashed.detail, telemetry: emptyTelemetry() };
        }
      } else debug(`${probe.port} already runs firmware ${running}: not flashing`);
      const first = await converse(probe.port, request);
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
