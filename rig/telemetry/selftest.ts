// The selftest conversation (firmware-templates/PROTOCOL.md, "Selftest"): pings of several sizes
// echoed byte for byte and their round trips timed; two clock marks a window apart, whose cycle
// count the host sets against its own monotonic clock; the firmware's own comparison of its cycle
// counter with SysTick; what the firmware counted. Every check says what it measured and what was
// expected. One that cannot apply says why and never passes.
import { setTimeout as sleep } from 'node:timers/promises';
import { createDebug } from '../util/log.js';
import { medianOf } from '../util/stats.js';
import { END_COMMAND, MARK_COMMAND, parseLine, PING_MAX_BYTES, pingCommand, type Message } from './protocol.js';
import { LineReader, sendBye, type LineLink } from './session.js';

const debug = createDebug('selftest');

export type CheckResult = 'pass' | 'fail' | 'n.a.';

export interface Check {
  name: string;
  result: CheckResult;
  measured: string;
  expected: string;
  /** Why it failed or does not apply, and what to do. */
  note: string | null;
}

/** The core-clock check: silicon compares against `hz`; under emulation it does not apply. */
export type ClockExpectation =
  | { kind: 'measure'; hz: number; /** ± fraction, before the host's own latency is added */ tolerance: number; cyclesPerTick: number }
  | { kind: 'not-applicable'; reason: string; counterReason: string };

export interface SelftestOptions {
  expect: { fw: string; board: string; timer: string };
  clock: ClockExpectation;
  /** Time between the two clock marks. */
  windowMs: number;
  pingSizes: readonly number[];
  pingsPerSize: number;
  helloTimeoutMs: number;
  /** Longest wait for one answer (a pong, a mark, the end line). */
  replyTimeoutMs: number;
  /** A fault code the firmware sends in place of hello → what it means on this board. */
  explainFault?: ((code: string) => string | null) | undefined;
  signal?: AbortSignal | undefined;
}

export interface SelftestOutcome {
  checks: Check[];
  /** The firmware's session ended (end, then bye): the emulated firmware exits. */
  finished: boolean;
}

/**
 * A mark whose round trip is longer than this is taken again: it would blur the clock check. An
 * ST-LINK's virtual COM port answers within a few ms; 25 ms at each end of a 1.5 s window keeps
 * the host's share of the tolerance under 1.7%.
 */
export const MARK_MAX_RTT_MS = 25;
const MARK_TRIES = 10;
const WORD_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/-';

/** Ping `k` of `size` bytes: protocol word characters, different for every k, so a stale pong never matches. */
export function pingPayload(size: number, k: number): string {
  return Array.from({ length: size }, (_, i) => WORD_CHARS[(i * 7 + k * 13 + size) % WORD_CHARS.length]).join('');
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const count = (x: number) => x.toLocaleString('en-US');

/**
 * Valid messages off the link; corrupt, lost and reset lines are counted for the integrity check.
 * Reading goes on after a timeout (LineReader keeps the read that timed out).
 */
class Reader {
  corrupt: string[] = [];
  lost = 0;
  resets = 0;
  private synced = false;
  private lastSeq = -1;
  private readonly lines: LineReader;
  constructor(link: LineLink, signal: AbortSignal | undefined) {
    this.lines = new LineReader(link.lines, signal);
  }

  async next(timeoutMs: number): Promise<Message | 'timeout' | 'closed'> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return 'timeout';
      const raw = await this.lines.next(left);
      if (raw === 'timeout') return raw;
      if (typeof raw !== 'string') return 'closed';
      debug(`< ${JSON.stringify(raw)}`);
      const parsed = parseLine(raw);
      if (!parsed.ok) {
        // Before the first good line the port may have opened mid-line: not an error.
        if (this.synced) this.corrupt.push(`${parsed.reason}: ${JSON.stringify(raw.slice(0, 80))}`);
        continue;
      }
      const m = parsed.message;
      if (this.synced && m.seq === 0 && this.lastSeq > 0) this.resets++;
      else if (this.synced && m.seq > this.lastSeq + 1) this.lost += m.seq - this.lastSeq - 1;
      this.synced = true;
      this.lastSeq = m.seq;
      return m;
    }
  }
}

type Mark = Extract<Message, { kind: 'mark' }>;
/** A mark with the host's times around it: sent at `sentMs`, answered at `receivedMs`. */
interface TimedMark {
  mark: Mark;
  sentMs: number;
  receivedMs: number;
}

export async function runSelftest(link: LineLink, options: SelftestOptions): Promise<SelftestOutcome> {
  const checks: Check[] = [];
  const reader = new Reader(link, options.signal);
  const add = (name: string, result: CheckResult, measured: string, expected: string, note: string | null = null) =>
    checks.push({ name, result, measured, expected, note });
  /** The link went away or the firmware stopped answering: the check fails and nothing more runs. */
  let broken: string | null = null;

  // ---- Start: the selftest image's hello, or the fault it reports instead.
  const wanted = `selftest ${options.expect.fw} on ${options.expect.board}, timer ${options.expect.timer}`;
  for (;;) {
    const m = await reader.next(options.helloTimeoutMs);
    if (m === 'timeout' || m === 'closed') {
      const what = m === 'timeout' ? `no valid line within ${options.helloTimeoutMs} ms` : 'the link closed';
      add(
        'start',
        'fail',
        what,
        wanted,
        'the board said nothing readable: is it powered, is --variant right (its UART and clock), is --port its virtual COM port?',
      );
      return { checks, finished: false };
    }
    if (m.kind === 'error') {
      add('start', 'fail', `error code=${m.code}`, wanted, options.explainFault?.(m.code) ?? `the firmware reported error code=${m.code} instead of starting`);
      return { checks, finished: false };
    }
    if (m.kind !== 'hello') continue;
    const found = `${m.model} ${m.fw} on ${m.board}, timer ${m.timer}`;
    const ok = m.model === 'selftest' && m.fw === options.expect.fw && m.board === options.expect.board && m.timer === options.expect.timer;
    add('start', ok ? 'pass' : 'fail', found, wanted, ok ? null : 'the board runs other firmware than the selftest image just built');
    if (!ok) return { checks, finished: false };
    break;
  }

  const send = async (text: string): Promise<boolean> => {
    try {
      await link.write(text);
      return true;
    } catch (error) {
      broken = `cannot write to the link: ${error instanceof Error ? error.message : String(error)}`;
      return false;
    }
  };
  /** The next message of `kind`, skipping hellos; a wrong kind, an error line or silence is a reason string. */
  const expectKind = async <K extends Message['kind']>(kind: K, timeoutMs: number): Promise<Extract<Message, { kind: K }> | string> => {
    for (;;) {
      const m = await reader.next(timeoutMs);
      if (m === 'closed') {
        broken = 'the link closed';
        return broken;
      }
      if (m === 'timeout') return `no ${kind} line within ${timeoutMs} ms`;
      if (m.kind === 'hello') continue;
      if (m.kind === 'error') return `the firmware answered error code=${m.code}`;
      if (m.kind === kind) return m as Extract<Message, { kind: K }>;
      return `expected a ${kind} line, got ${m.kind}`;
    }
  };

  // ---- UART round trips: each size's pings until the first failure.
  let pingsSent = 0;
  const abandoned = new Set<string>();
  for (const size of options.pingSizes) {
    if (broken !== null) break;
    const rtts: number[] = [];
    let failure: string | null = null;
    for (let k = 0; k < options.pingsPerSize && failure === null; k++) {
      const payload = pingPayload(Math.min(size, PING_MAX_BYTES), k);
      const sentMs = performance.now();
      if (!(await send(pingCommand(payload)))) break;
      pingsSent++;
      for (;;) {
        const pong = await expectKind('pong', options.replyTimeoutMs);
        if (typeof pong === 'string') {
          failure = `ping ${k + 1} of ${options.pingsPerSize}: ${pong}`;
          abandoned.add(payload);
        } else if (pong.data !== payload && abandoned.has(pong.data)) {
          continue; // the late answer to a ping already given up on
        } else if (pong.data !== payload || pong.n !== payload.length) {
          failure = `ping ${k + 1} of ${options.pingsPerSize}: the echo differs (sent ${payload.length} B ${JSON.stringify(payload.slice(0, 24))}…, got n=${pong.n} ${JSON.stringify(pong.data.slice(0, 24))}…)`;
        } else rtts.push(performance.now() - sentMs);
        break;
      }
    }
    const echoed = `${rtts.length} of ${options.pingsPerSize} echoed`;
    const timing = rtts.length === 0 ? '' : `, round trip median ${ms(medianOf(rtts))}, max ${ms(Math.max(...rtts))}`;
    add(
      `ping ${size} B`,
      failure === null && broken === null ? 'pass' : 'fail',
      echoed + timing,
      `${options.pingsPerSize} of ${options.pingsPerSize} echoed byte for byte`,
      failure ?? broken,
    );
  }

  // ---- Clock marks: one, the window, another; each taken again while its round trip is too long.
  let marksSent = 0;
  const takeMark = async (): Promise<TimedMark | string> => {
    let last = '';
    for (let tries = 0; tries < MARK_TRIES; tries++) {
      const sentMs = performance.now();
      if (!(await send(MARK_COMMAND))) return broken!;
      marksSent++;
      const m = await expectKind('mark', options.replyTimeoutMs);
      const receivedMs = performance.now();
      if (typeof m === 'string') return m;
      if (receivedMs - sentMs <= MARK_MAX_RTT_MS) return { mark: m, sentMs, receivedMs };
      last = `every mark's round trip exceeded ${MARK_MAX_RTT_MS} ms (last ${ms(receivedMs - sentMs)})`;
    }
    return last;
  };
  const first = broken === null ? await takeMark() : broken;
  let second: TimedMark | string = first;
  if (typeof first !== 'string') {
    await sleep(Math.max(0, first.receivedMs + options.windowMs - performance.now()), undefined, { signal: options.signal });
    second = await takeMark();
  }
  clockChecks(add, options, first, second);

  // ---- End: what the firmware counted, then bye (the emulated firmware exits on it).
  let finished = false;
  if (broken === null && (await send(END_COMMAND))) {
    const end = await expectKind('end', options.replyTimeoutMs);
    if (typeof end === 'string') add('commands counted', 'fail', '-', `${pingsSent} pings, ${marksSent} marks`, end);
    else {
      const ok = end.pings === pingsSent && end.marks === marksSent;
      add(
        'commands counted',
        ok ? 'pass' : 'fail',
        `${end.pings} pings, ${end.marks} marks`,
        `${pingsSent} pings, ${marksSent} marks`,
        ok ? null : 'the firmware did not see every command the host sent',
      );
      await sendBye(link);
      finished = true;
    }
  }
  if (broken !== null) add('link', 'fail', broken, 'open until the end', 'the board dropped off or reset: check its USB cable and power');

  const clean = reader.corrupt.length === 0 && reader.lost === 0 && reader.resets === 0;
  const integrity = `${reader.corrupt.length} corrupt, ${reader.lost} lost, ${reader.resets} resets`;
  const why = [...reader.corrupt.slice(0, 3), ...(reader.resets > 0 ? ['the sequence number went back to 0: the board reset'] : [])].join('; ');
  add('line integrity', clean ? 'pass' : 'fail', integrity, '0 corrupt, 0 lost, 0 resets', clean ? null : why || 'sequence gaps: lines were lost');
  return { checks, finished };
}

/** The checks the two marks give: SysTick counts, the firmware's own counter check, the core clock. */
function clockChecks(
  add: (name: string, result: CheckResult, measured: string, expected: string, note?: string | null) => void,
  options: SelftestOptions,
  first: TimedMark | string,
  second: TimedMark | string,
): void {
  const clock = options.clock;
  const expectedHz = clock.kind === 'measure' ? `${clock.hz / 1e6} MHz ±${(clock.tolerance * 100).toFixed(0)}% (+ the host's latency)` : 'n.a.';
  if (typeof first === 'string' || typeof second === 'string') {
    const reason = typeof first === 'string' ? first : (second as string);
    add('systick', 'fail', '-', 'counts between two marks', reason);
    add(
      'dwt vs systick',
      clock.kind === 'measure' ? 'fail' : 'n.a.',
      '-',
      clock.kind === 'measure' ? `${clock.cyclesPerTick} cycles per tick` : 'n.a.',
      clock.kind === 'measure' ? reason : clock.counterReason,
    );
    add('core clock', clock.kind === 'measure' ? 'fail' : 'n.a.', '-', expectedHz, clock.kind === 'measure' ? reason : clock.reason);
    return;
  }
  const ticks = (second.mark.ticks - first.mark.ticks) >>> 0;
  const cycles = (second.mark.cycles - first.mark.cycles) >>> 0;
  // The firmware read its counters somewhere between sending and answering each mark.
  const elapsedMs = (second.sentMs + second.receivedMs - first.sentMs - first.receivedMs) / 2;
  const halfWidthMs = (second.receivedMs - second.sentMs + first.receivedMs - first.sentMs) / 2;
  add(
    'systick',
    ticks > 0 ? 'pass' : 'fail',
    `${count(ticks)} ticks in ${ms(elapsedMs)}`,
    'counts between two marks',
    ticks > 0 ? null : 'SysTick did not move: the timer is not running',
  );

  if (clock.kind === 'not-applicable') {
    add('dwt vs systick', 'n.a.', second.mark.check === 'na' ? 'no cycle counter' : `firmware says ${second.mark.check}`, 'n.a.', clock.counterReason);
    add('core clock', 'n.a.', '-', expectedHz, clock.reason);
    return;
  }
  const perTick = ticks === 0 ? '-' : (cycles / ticks).toFixed(3);
  const verdict = second.mark.check;
  add(
    'dwt vs systick',
    verdict === 'pass' ? 'pass' : verdict === 'fail' ? 'fail' : 'n.a.',
    `${count(cycles)} cycles in ${count(ticks)} ticks (${perTick} per tick), firmware says ${verdict}`,
    `${clock.cyclesPerTick} cycles per tick`,
    verdict === 'pass'
      ? null
      : verdict === 'fail'
        ? 'the cycle counter and SysTick disagree: one of them does not count the core clock'
        : 'the firmware could not compare its counters over this window',
  );
  const hz = cycles / (elapsedMs / 1000);
  const latency = halfWidthMs / elapsedMs;
  const off = hz / clock.hz - 1;
  const ok = Math.abs(off) <= clock.tolerance + latency;
  add(
    'core clock',
    ok ? 'pass' : 'fail',
    `${(hz / 1e6).toFixed(2)} MHz ±${(latency * 100).toFixed(2)}% (${count(cycles)} cycles in ${ms(elapsedMs)})`,
    expectedHz,
    ok
      ? null
      : `the core runs ${(off * 100).toFixed(1)}% off ${clock.hz / 1e6} MHz: is the HSE frequency in the board file (variants.*.hse.hz) the one on OSC_IN?`,
  );
}
