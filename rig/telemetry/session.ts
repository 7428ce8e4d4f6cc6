// One benchmark conversation with a board (or the emulator) over a line link: wait for hello,
// send the run command, collect mem, time×N, the profiling pass and done. Lost and corrupt lines
// are counted; a missing measurement fails the run, never a guessed number.
import { setTimeout as sleep } from 'node:timers/promises';
import { createDebug } from '../util/log.js';
import { BYE_COMMAND, parseLine, runCommand, type Message } from './protocol.js';

/** How long the host waits for its bye to be written after done. */
const BYE_WAIT_MS = 1_000;

const debug = createDebug('telemetry');

export interface LineLink {
  readonly lines: AsyncIterator<string>;
  write(text: string): Promise<void>;
}

export interface Expectation {
  fw: string;
  model: string;
  schedule: string;
  board: string;
}

export interface SessionOptions {
  warmup: number;
  runs: number;
  /** Ask for the output tensor, of this many bytes (PROTOCOL.md, out lines). */
  outputBytes?: number | undefined;
  expect: Expectation;
  /** Longest wait for the first hello. */
  helloTimeoutMs: number;
  /** Longest wait between two lines once the run started (covers one inference). */
  lineTimeoutMs: number;
  signal?: AbortSignal | undefined;
}

export type Hello = Extract<Message, { kind: 'hello' }>;
export type Mem = Extract<Message, { kind: 'mem' }>;
export interface Sample {
  i: number;
  ticks: number;
  crc32: string;
}

/** The profiling pass (PROTOCOL.md): each slot's ticks, the pass's total and its output's CRC. */
export interface ProfileTelemetry {
  slotTicks: number[];
  ticks: number;
  crc32: string;
}

export interface Telemetry {
  hello?: Hello;
  /** The CRC-32 of the input the firmware holds, from its start line. */
  inputCrc32?: string;
  /** The output tensor after the last inference, when asked for. */
  output?: Uint8Array;
  mem?: Mem;
  samples: Sample[];
  /** Absent when the firmware sent no profiling pass. */
  profile?: ProfileTelemetry;
  corruptLines: number;
  lostLines: number;
  /** Reasons of corrupt lines, first few, for the error message. */
  corruptReasons: string[];
}

export type SessionPhase = 'flash' | 'boot' | 'start' | 'memory' | 'inference' | 'done';

export const emptyTelemetry = (): Telemetry => ({ samples: [], corruptLines: 0, lostLines: 0, corruptReasons: [] });

export type SessionOutcome =
  | { ok: true; telemetry: Telemetry; /** What the runner had to do to get here (a retry), for the row. */ note?: string }
  | {
      ok: false;
      status: 'timeout' | 'telemetry-error' | 'device-error' | 'wrong-firmware';
      phase: SessionPhase;
      detail: string;
      telemetry: Telemetry;
      /** The code of the firmware's error line, when one ended the session (PROTOCOL.md). */
      firmwareError?: string;
    };

/**
 * Lines with a deadline per read. A read that times out stays the pending one and the next read
 * waits on it: a fresh read of the iterator would leave the old one to take the next line, and
 * that line would be lost.
 */
/**
 * The host's last word, after which the emulated firmware exits. The emulator exits on its first
 * byte and may close the link before the write is drained: that is not a failure, and it is not
 * waited for longer than BYE_WAIT_MS.
 */
export async function sendBye(link: LineLink): Promise<void> {
  const waited = new AbortController();
  await Promise.race([link.write(BYE_COMMAND).catch(() => undefined), sleep(BYE_WAIT_MS, undefined, { signal: waited.signal }).catch(() => undefined)]);
  waited.abort();
}

export class LineReader {
  private pending: Promise<IteratorResult<string> | { closed: string }> | null = null;
  constructor(
    private readonly lines: AsyncIterator<string>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** The next line; 'timeout' after `timeoutMs`; `{ closed }` with the reason when the link ended. */
  async next(timeoutMs: number): Promise<string | 'timeout' | { closed: string }> {
    const { signal } = this;
    signal?.throwIfAborted();
    this.pending ??= this.lines.next().catch((error: unknown) => {
      if (signal?.aborted) throw signal.reason;
      return { closed: error instanceof Error ? error.message : String(error) };
    });
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      const r = await Promise.race([
        this.pending,
        new Promise<'timeout'>((resolve, reject) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
          if (signal !== undefined) {
            onAbort = () => reject(signal.reason);
            signal.addEventListener('abort', onAbort, { once: true });
          }
        }),
      ]);
      if (r === 'timeout') return r;
      this.pending = null;
      if ('closed' in r) return r;
      return r.done === true ? { closed: '' } : r.value;
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
  }
}

export async function runSession(link: LineLink, options: SessionOptions): Promise<SessionOutcome> {
  const telemetry = emptyTelemetry();
  let phase: SessionPhase = 'boot';
  let synced = false;
  let lastSeq = -1;
  const fail = (status: Extract<SessionOutcome, { ok: false }>['status'], detail: string, firmwareError?: string): SessionOutcome => ({
    ok: false,
    status,
    phase,
    detail,
    telemetry,
    ...(firmwareError === undefined ? {} : { firmwareError }),
  });

  const reader = new LineReader(link.lines, options.signal);
  /** The next valid message, or a failure outcome. */
  const receive = async (timeoutMs: number): Promise<Message | SessionOutcome> => {
    for (;;) {
      const raw = await reader.next(timeoutMs);
      if (raw === 'timeout') return fail('timeout', `no telemetry for ${timeoutMs} ms while waiting in phase ${phase}`);
      if (typeof raw !== 'string') return fail('telemetry-error', `the link closed in phase ${phase}${raw.closed === '' ? '' : ` (${raw.closed})`}`);
      debug(`< ${JSON.stringify(raw)}`);
      const parsed = parseLine(raw);
      if (!parsed.ok) {
        // Before the first good line the host may have opened the port mid-line: not an error.
        if (synced) {
          telemetry.corruptLines++;
          if (telemetry.corruptReasons.length < 5) telemetry.corruptReasons.push(`${parsed.reason}: ${JSON.stringify(raw.slice(0, 120))}`);
        }
        continue;
      }
      const m = parsed.message;
      if (synced && m.seq === 0 && lastSeq > 0) return fail('device-error', `the board reset (sequence number back to 0 after ${lastSeq})`);
      if (synced && m.seq > lastSeq + 1) telemetry.lostLines += m.seq - lastSeq - 1;
      synced = true;
      lastSeq = m.seq;
      if (m.kind === 'error') return fail('device-error', `the firmware reported error code=${m.code}`, m.code);
      return m;
    }
  };

  let m = await receive(options.helloTimeoutMs);
  while (true) {
    if ('ok' in m) return m;
    if (m.kind === 'hello') break;
    m = await receive(options.helloTimeoutMs);
  }
  const hello = m;
  telemetry.hello = hello;
  const want = options.expect;
  const mismatches = (['fw', 'model', 'schedule', 'board'] as const).filter((k) => hello[k] !== want[k]);
  if (mismatches.length > 0) {
    return fail('wrong-firmware', `the board runs other firmware: ${mismatches.map((k) => `${k}=${hello[k]} (expected ${want[k]})`).join(', ')}`);
  }

  phase = 'start';
  try {
    await link.write(runCommand(options.warmup, options.runs, options.outputBytes !== undefined));
  } catch (error) {
    return fail('telemetry-error', `cannot send the run command: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (;;) {
    m = await receive(options.lineTimeoutMs);
    if ('ok' in m) return m;
    if (m.kind === 'start') break;
    if (m.kind !== 'hello') return fail('telemetry-error', `expected start, got ${m.kind}`);
  }
  if (m.warmup !== options.warmup || m.runs !== options.runs) {
    return fail('telemetry-error', `the firmware started warmup=${m.warmup} runs=${m.runs}, not ${options.warmup}/${options.runs}`);
  }
  telemetry.inputCrc32 = m.inCrc32;

  phase = 'memory';
  const seen = new Set<number>();
  const slots = new Map<number, number>();
  const output = options.outputBytes === undefined ? undefined : new Uint8Array(options.outputBytes);
  let outputFilled = 0;
  for (;;) {
    m = await receive(options.lineTimeoutMs);
    if ('ok' in m) return m;
    if (m.kind === 'mem') {
      telemetry.mem = m;
      phase = 'inference';
    } else if (m.kind === 'time') {
      if (m.i >= options.runs || seen.has(m.i)) return fail('telemetry-error', `unexpected time line i=${m.i}`);
      seen.add(m.i);
      telemetry.samples.push({ i: m.i, ticks: m.ticks, crc32: m.crc32 });
    } else if (m.kind === 'slot') {
      if (slots.has(m.i) || telemetry.profile !== undefined) return fail('telemetry-error', `unexpected slot line i=${m.i}`);
      slots.set(m.i, m.ticks);
    } else if (m.kind === 'profile') {
      const slotTicks = Array.from({ length: m.slots }, (_, i) => slots.get(i));
      if (slots.size !== m.slots || slotTicks.includes(undefined)) {
        return fail('telemetry-error', `the profiling pass sent ${slots.size} slot lines for ${m.slots} slots`);
      }
      telemetry.profile = { slotTicks: slotTicks as number[], ticks: m.ticks, crc32: m.crc32 };
    } else if (m.kind === 'out') {
      // The chunks come in order, each where the last ended: a lost one is a gap, never zeros.
      if (output === undefined || m.at !== outputFilled || m.at + m.bytes.length > output.length) {
        return fail('telemetry-error', `unexpected out line at=${m.at} (${m.bytes.length} bytes; ${outputFilled} of ${output?.length ?? 0} received)`);
      }
      output.set(m.bytes, m.at);
      outputFilled += m.bytes.length;
    } else if (m.kind === 'done') {
      phase = 'done';
      // Everything before done has arrived: let the firmware go.
      await sendBye(link);
      break;
    } else {
      return fail('telemetry-error', `unexpected ${m.kind} line during the run`);
    }
  }
  const problems: string[] = [];
  if (telemetry.mem === undefined) problems.push('the mem line is missing');
  if (output !== undefined) {
    if (outputFilled === output.length) telemetry.output = output;
    else problems.push(`${outputFilled} of ${output.length} output bytes arrived`);
  }
  if (telemetry.samples.length !== options.runs) problems.push(`${options.runs - telemetry.samples.length} of ${options.runs} time lines are missing`);
  if (telemetry.corruptLines > 0) problems.push(`${telemetry.corruptLines} corrupt line(s): ${telemetry.corruptReasons.join('; ')}`);
  if (telemetry.lostLines > 0) problems.push(`${telemetry.lostLines} line(s) lost (sequence gaps)`);
  if (problems.length > 0) return fail('telemetry-error', problems.join('; '));
  return { ok: true, telemetry };
}
