// The telemetry protocol, version 1 (firmware-templates/PROTOCOL.md): one checksummed line per
// message. A line is only read after its checksum holds; nothing in a bad line becomes a number.
import { crc32, hex32 } from '../util/crc32.js';

export const PROTOCOL_VERSION = 1;
const PREFIX = `@rig${PROTOCOL_VERSION}`;

export type Message =
  | { kind: 'hello'; seq: number; proto: number; fw: string; model: string; schedule: string; board: string; timer: string; arena: number }
  | { kind: 'start'; seq: number; warmup: number; runs: number; inCrc32: string }
  | { kind: 'mem'; seq: number; arenaUsed: number; arenaSize: number; stackUsed: number; stackSize: number }
  | { kind: 'time'; seq: number; i: number; ticks: number; crc32: string }
  | { kind: 'slot'; seq: number; i: number; ticks: number }
  | { kind: 'profile'; seq: number; slots: number; ticks: number; crc32: string }
  | { kind: 'out'; seq: number; at: number; bytes: Uint8Array }
  | { kind: 'done'; seq: number; runs: number }
  | { kind: 'error'; seq: number; code: string }
  // The selftest image's answers (PROTOCOL.md, "Selftest").
  | { kind: 'pong'; seq: number; n: number; data: string }
  | { kind: 'mark'; seq: number; i: number; cycles: number; ticks: number; check: SelftestVerdict }
  | { kind: 'end'; seq: number; pings: number; marks: number };

/** The selftest firmware's own comparison of its cycle counter against SysTick. */
export type SelftestVerdict = 'pass' | 'fail' | 'na';

export type ParseResult = { ok: true; message: Message } | { ok: false; reason: string };

const VALUE = /^[A-Za-z0-9_.:/-]+$/;

function fields(tokens: readonly string[]): Map<string, string> | string {
  const map = new Map<string, string>();
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq <= 0) return `"${t}" is not key=value`;
    const key = t.slice(0, eq);
    const value = t.slice(eq + 1);
    if (!VALUE.test(value)) return `bad value for ${key}`;
    if (map.has(key)) return `${key} given twice`;
    map.set(key, value);
  }
  return map;
}

class MissingField extends Error {}

function uint(map: Map<string, string>, key: string): number {
  const v = map.get(key);
  if (v === undefined || !/^\d{1,15}$/.test(v)) throw new MissingField(`${key} must be a decimal integer`);
  return Number(v);
}

function word(map: Map<string, string>, key: string): string {
  const v = map.get(key);
  if (v === undefined) throw new MissingField(`${key} is missing`);
  return v;
}

function hex8(map: Map<string, string>, key: string): string {
  const v = map.get(key);
  if (v === undefined || !/^[0-9a-f]{8}$/.test(v)) throw new MissingField(`${key} must be 8 lowercase hex digits`);
  return v;
}

export function parseLine(raw: string): ParseResult {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const star = line.lastIndexOf(' *');
  if (star < 0) return { ok: false, reason: 'no checksum' };
  const body = line.slice(0, star);
  const sum = line.slice(star + 2);
  if (!/^[0-9a-f]{8}$/.test(sum)) return { ok: false, reason: 'malformed checksum' };
  if (hex32(crc32(body)) !== sum) return { ok: false, reason: 'checksum mismatch' };
  const tokens = body.split(' ');
  const [prefix, seqText, kind, ...rest] = tokens;
  if (prefix !== PREFIX) return { ok: false, reason: `unsupported protocol "${prefix}" (this host speaks ${PREFIX})` };
  if (seqText === undefined || !/^\d{1,10}$/.test(seqText)) return { ok: false, reason: 'bad sequence number' };
  const seq = Number(seqText);
  const map = fields(rest);
  if (typeof map === 'string') return { ok: false, reason: map };
  try {
    switch (kind) {
      case 'hello':
        return {
          ok: true,
          message: {
            kind,
            seq,
            proto: uint(map, 'proto'),
            fw: word(map, 'fw'),
            model: word(map, 'model'),
            schedule: word(map, 'schedule'),
            board: word(map, 'board'),
            timer: word(map, 'timer'),
            arena: uint(map, 'arena'),
          },
        };
      case 'start':
        return { ok: true, message: { kind, seq, warmup: uint(map, 'warmup'), runs: uint(map, 'runs'), inCrc32: hex8(map, 'in_crc32') } };
      case 'mem':
        return {
          ok: true,
          message: {
            kind,
            seq,
            arenaUsed: uint(map, 'arena_used'),
            arenaSize: uint(map, 'arena_size'),
            stackUsed: uint(map, 'stack_used'),
            stackSize: uint(map, 'stack_size'),
          },
        };
      case 'time':
        return { ok: true, message: { kind, seq, i: uint(map, 'i'), ticks: uint(map, 'ticks'), crc32: hex8(map, 'crc32') } };
      case 'slot':
        return { ok: true, message: { kind, seq, i: uint(map, 'i'), ticks: uint(map, 'ticks') } };
      case 'profile':
        return { ok: true, message: { kind, seq, slots: uint(map, 'slots'), ticks: uint(map, 'ticks'), crc32: hex8(map, 'crc32') } };
      case 'out': {
        const hex = word(map, 'hex');
        if (!/^(?:[0-9a-f]{2})+$/.test(hex)) throw new MissingField('hex must be pairs of lowercase hex digits');
        return { ok: true, message: { kind, seq, at: uint(map, 'at'), bytes: Uint8Array.from(Buffer.from(hex, 'hex')) } };
      }
      case 'done':
        return { ok: true, message: { kind, seq, runs: uint(map, 'runs') } };
      case 'error':
        return { ok: true, message: { kind, seq, code: word(map, 'code') } };
      case 'pong':
        return { ok: true, message: { kind, seq, n: uint(map, 'n'), data: word(map, 'data') } };
      case 'mark': {
        const check = word(map, 'check');
        if (check !== 'pass' && check !== 'fail' && check !== 'na') throw new MissingField('check must be pass, fail or na');
        return { ok: true, message: { kind, seq, i: uint(map, 'i'), cycles: uint(map, 'cycles'), ticks: uint(map, 'ticks'), check } };
      }
      case 'end':
        return { ok: true, message: { kind, seq, pings: uint(map, 'pings'), marks: uint(map, 'marks') } };
      default:
        return { ok: false, reason: `unknown kind "${kind ?? ''}"` };
    }
  } catch (error) {
    if (error instanceof MissingField) return { ok: false, reason: `${kind}: ${error.message}` };
    throw error;
  }
}

/** Formats a line as the firmware does (for fake boards in tests and for documentation). */
export function formatLine(seq: number, kind: string, pairs: Record<string, string | number> = {}): string {
  const body = [PREFIX, String(seq), kind, ...Object.entries(pairs).map(([k, v]) => `${k}=${v}`)].join(' ');
  return `${body} *${hex32(crc32(body))}`;
}

/** Run `warmup` and `runs` inferences; with `output`, send the output tensor after them. */
export function runCommand(warmup: number, runs: number, output = false): string {
  return `run ${warmup} ${runs}${output ? ' output' : ''}\n`;
}

/** Sent after done: the host has read everything, the firmware may exit. */
export const BYE_COMMAND = 'bye\n';

/** Selftest: the longest ping payload the firmware echoes. */
export const PING_MAX_BYTES = 256;

/** Selftest: echo `payload` (a protocol word, at most PING_MAX_BYTES) in a pong line. */
export function pingCommand(payload: string): string {
  return `ping ${payload}\n`;
}

/** Selftest: report the cycle counter and SysTick now, in a mark line. */
export const MARK_COMMAND = 'mark\n';

/** Selftest: report what was counted (an end line), then wait for bye like after done. */
export const END_COMMAND = 'end\n';
