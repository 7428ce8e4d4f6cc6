// Board definition files (boards/*.json): schema → rules → a readonly resolved board.
import { readdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { formatPath, schemaIssues } from '../util/schema.js';
import { readJsonFile } from './json.js';
import { BOARDS_DIR, ROOT } from '../util/paths.js';

const shownPath = (path: string): string => relative(ROOT, path);
import { UserError, ValidationError, type Issue } from '../util/errors.js';

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{1,8}$/, 'expected a hex address like "0x20000000"')
  .transform((s) => Number.parseInt(s, 16));
const sizeBytes = z.number().int().positive();
const hex4 = z.string().regex(/^[0-9a-f]{4}$/, 'expected 4 lowercase hex digits like "374b"');

const region = z.strictObject({ origin: address, sizeBytes });
const arenaRamName = z.string().regex(/^[a-z0-9-]+$/, 'expected a lowercase name like "dtcm"');
const variant = z.strictObject({
  board: z.string().min(1),
  openocdConfig: z.string().regex(/^[\w./-]+\.cfg$/, 'expected an openocd config path like "board/st_nucleo_f7.cfg"'),
  hse: z.strictObject({ hz: z.number().int().positive(), bypass: z.boolean() }),
  uart: z.strictObject({
    instance: z.string().regex(/^U(S)?ART\d$/, 'expected a UART instance like "USART3"'),
    tx: z.string().regex(/^P[A-K]\d{1,2}$/, 'expected a pin like "PD8"'),
    rx: z.string().regex(/^P[A-K]\d{1,2}$/, 'expected a pin like "PD9"'),
  }),
});

export const boardSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, 'expected a lowercase id like "f746"'),
  name: z.string().min(1),
  mcu: z.string().min(1),
  core: z.enum(['cortex-m4', 'cortex-m7']),
  fpu: z.enum(['fpv4-sp-d16', 'fpv5-sp-d16', 'fpv5-d16']),
  maxClockHz: z.number().int().positive(),
  memory: z.strictObject({
    flash: region,
    sram: z.array(region.extend({ name: z.string().min(1) })).min(1),
    /**
     * Memory-mapped external flash (the 32F746G-DISCO's 16 MB QSPI) for weights that do not fit
     * the internal flash, on the variants that have it; openocd programs it with the rest.
     */
    externalFlash: region.extend({ name: z.string().min(1), variants: z.array(z.string().min(1)).min(1) }).optional(),
    /** Where silicon builds may put the arena: each choice names a run of `sram` regions. */
    arenaRam: z.strictObject({
      default: arenaRamName,
      choices: z.record(arenaRamName, z.array(z.string().min(1)).min(1)),
    }),
  }),
  stackBytes: sizeBytes,
  probe: z.strictObject({ vendorId: hex4, productIds: z.array(hex4).min(1) }),
  variants: z.record(z.string().regex(/^[a-z0-9-]+$/), variant),
  defaultVariant: z.string(),
  emulation: z.strictObject({
    qemuMachine: z.string().regex(/^[a-z0-9-]+$/),
    qemuCpu: z.enum(['cortex-m4', 'cortex-m7']),
    support: z.enum(['mps2']),
    flashOrigin: address,
    ramOrigin: address,
    /** Where the emulator has memory standing in for memory.externalFlash (the mps2's 16 MB RAM at 0x60000000). */
    externalFlashOrigin: address.optional(),
    systickHz: z.number().int().positive(),
    icountShift: z.number().int().min(0).max(10),
  }),
});

type BoardData = z.output<typeof boardSchema>;

/** One contiguous run of SRAM regions. */
export interface SramRange {
  /** The regions' names, joined: "SRAM1+SRAM2". */
  readonly name: string;
  readonly origin: number;
  readonly sizeBytes: number;
}

/** Where a silicon build puts the arena (`--arena-ram`), and what is left for the rest. */
export interface ArenaRam extends SramRange {
  readonly choice: string;
  /** The SRAM that holds .data, .bss and the stack; null when the arena shares all of it with them. */
  readonly rest: SramRange | null;
}

export interface Board extends Readonly<Omit<BoardData, 'memory'>> {
  readonly file: string;
  readonly memory: BoardData['memory'];
  /** Total SRAM: the budget a model must fit, on silicon and in emulation alike. */
  readonly sramBytes: number;
  readonly flashBytes: number;
  /** memory.arenaRam resolved: every choice by name, with its addresses. */
  readonly arenaRams: Readonly<Record<string, ArenaRam>>;
  readonly defaultArenaRam: string;
}

type Sram = BoardData['memory']['sram'];

function sramRange(sram: Sram, from: number, to: number): SramRange {
  const regions = sram.slice(from, to);
  return { name: regions.map((r) => r.name).join('+'), origin: regions[0]!.origin, sizeBytes: regions.reduce((s, r) => s + r.sizeBytes, 0) };
}

/** An arena-RAM choice's range and the rest; the rules have checked that it is a run at an end of `sram`. */
function arenaRam(sram: Sram, choice: string, names: readonly string[]): ArenaRam {
  const first = sram.findIndex((r) => r.name === names[0]);
  const end = first + names.length;
  const rest = first > 0 ? sramRange(sram, 0, first) : end < sram.length ? sramRange(sram, end, sram.length) : null;
  return { choice, ...sramRange(sram, first, end), rest };
}

/** Each arena-RAM choice: known regions, consecutive, at the start or the end of `sram` (so the rest is one run too). */
function arenaRamIssues(data: BoardData): Issue[] {
  const issues: Issue[] = [];
  const { sram, arenaRam: arena } = data.memory;
  const names = sram.map((r) => r.name);
  if (!(arena.default in arena.choices)) {
    issues.push({
      path: 'memory.arenaRam.default',
      message: `expected one of ${Object.keys(arena.choices)
        .map((c) => `"${c}"`)
        .join(', ')}, found "${arena.default}"`,
    });
  }
  for (const [choice, regions] of Object.entries(arena.choices)) {
    const path = `memory.arenaRam.choices.${choice}`;
    const unknown = regions.findIndex((r) => !names.includes(r));
    if (unknown >= 0) {
      issues.push({
        path: `${path}[${unknown}]`,
        message: `expected one of ${names.map((n) => `"${n}"`).join(', ')} (memory.sram), found "${regions[unknown]}"`,
      });
      continue;
    }
    const first = names.indexOf(regions[0]!);
    const consecutive = regions.every((r, i) => names[first + i] === r);
    if (!consecutive || (first !== 0 && first + regions.length !== names.length)) {
      issues.push({
        path,
        message: `expected consecutive regions of memory.sram starting at ${names[0]} or ending at ${names[names.length - 1]} (the rest holds .data, .bss and the stack), found ${regions.join(', ')}`,
      });
      continue;
    }
    const { rest } = arenaRam(sram, choice, regions);
    if (rest !== null && rest.sizeBytes <= data.stackBytes) {
      issues.push({
        path,
        message: `expected the rest of the SRAM (${rest.name}, ${rest.sizeBytes} B) to hold the ${data.stackBytes} B stack and static data`,
      });
    }
  }
  return issues;
}

function rules(data: BoardData): Issue[] {
  const issues: Issue[] = [];
  const ext = data.memory.externalFlash;
  ext?.variants.forEach((v, k) => {
    if (!(v in data.variants))
      issues.push({
        path: `memory.externalFlash.variants[${k}]`,
        message: `expected one of ${Object.keys(data.variants)
          .map((n) => `"${n}"`)
          .join(', ')}, found "${v}"`,
      });
  });
  if (data.emulation.externalFlashOrigin !== undefined && ext === undefined)
    issues.push({ path: 'emulation.externalFlashOrigin', message: 'expected memory.externalFlash, which it stands in for, found none' });
  if (!(data.defaultVariant in data.variants)) {
    issues.push({
      path: 'defaultVariant',
      message: `expected one of ${Object.keys(data.variants)
        .map((v) => `"${v}"`)
        .join(', ')}, found "${data.defaultVariant}"`,
    });
  }
  const sram = data.memory.sram;
  for (let i = 1; i < sram.length; i++) {
    const prev = sram[i - 1]!;
    const cur = sram[i]!;
    if (cur.origin !== prev.origin + prev.sizeBytes) {
      issues.push({
        path: `memory.sram[${i}].origin`,
        message: `expected 0x${(prev.origin + prev.sizeBytes).toString(16)} (right after ${prev.name}; the arena needs one contiguous SRAM), found 0x${cur.origin.toString(16)}`,
      });
    }
  }
  // The telemetry UARTs the silicon board support drives (firmware-templates/board/stm32.c).
  const uarts: Record<string, string> = { USART1: 'PA9/PB7', USART2: 'PA2/PA3', USART3: 'PD8/PD9' };
  for (const [name, v] of Object.entries(data.variants)) {
    const pins = `${v.uart.tx}/${v.uart.rx}`;
    if (uarts[v.uart.instance] !== pins) {
      issues.push({
        path: `variants.${name}.uart`,
        message: `expected one of ${Object.entries(uarts)
          .map(([u, p]) => `${u} on ${p}`)
          .join(', ')} (TX/RX), found ${v.uart.instance} on ${pins}`,
      });
    }
  }
  issues.push(...arenaRamIssues(data));
  if (data.emulation.qemuCpu !== data.core) {
    issues.push({ path: 'emulation.qemuCpu', message: `expected the board's core "${data.core}", found "${data.emulation.qemuCpu}"` });
  }
  return issues;
}

/** Validates parsed JSON as a board definition; `file` names it in every error. */
export function resolveBoard(value: unknown, file: string): Board {
  const parsed = boardSchema.safeParse(value);
  if (!parsed.success) throw new ValidationError(file, schemaIssues(parsed.error, value));
  const issues = rules(parsed.data);
  if (issues.length > 0) throw new ValidationError(file, issues);
  const data = parsed.data;
  const { sram, arenaRam: arena } = data.memory;
  return Object.freeze({
    ...data,
    file,
    sramBytes: sram.reduce((s, r) => s + r.sizeBytes, 0),
    flashBytes: data.memory.flash.sizeBytes,
    arenaRams: Object.freeze(Object.fromEntries(Object.entries(arena.choices).map(([choice, names]) => [choice, arenaRam(sram, choice, names)]))),
    defaultArenaRam: arena.default,
  });
}

export async function listBoardIds(dir = BOARDS_DIR): Promise<string[]> {
  const files = await readdir(dir);
  return files
    .filter((f) => f.endsWith('.json') && !f.startsWith('lab'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** A board by id (boards/<id>.json) or by path to a JSON file. */
export async function loadBoard(idOrPath: string, dir = BOARDS_DIR): Promise<Board> {
  const isPath = idOrPath.endsWith('.json') || idOrPath.includes('/');
  if (!isPath) {
    const ids = await listBoardIds(dir);
    if (!ids.includes(idOrPath)) {
      throw new UserError(`Unknown board "${idOrPath}": expected one of ${ids.join(', ')} (files in ${dir}) or a path to a board file`);
    }
  }
  const file = isPath ? idOrPath : join(dir, `${idOrPath}.json`);
  const board = resolveBoard(await readJsonFile(file), file);
  if (!isPath && board.id !== idOrPath) {
    throw new ValidationError(file, [{ path: 'id', message: `expected "${idOrPath}" (the file's name), found "${board.id}"` }]);
  }
  if (isPath) await checkOwnIdentity(board, dir);
  return board;
}

/** The paths at which two parsed JSON values differ (the first few). */
function differences(a: unknown, b: unknown, path: PropertyKey[] = [], out: string[] = []): string[] {
  if (out.length >= 4 || isDeepStrictEqual(a, b)) return out;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...path, Array.isArray(a) ? Number(k) : k], out);
    }
    return out;
  }
  out.push(formatPath(path) || '(top level)');
  return out;
}

/**
 * A board file is stored under its id, so its id must name it: a file that takes the id of a
 * built-in board (boards/<id>.json) must say the same as that board, or its rows would pass for
 * the built-in board's. Another board needs an id of its own.
 */
async function checkOwnIdentity(board: Board, dir: string): Promise<void> {
  const ids = await listBoardIds(dir).catch(() => [] as string[]);
  if (!ids.includes(board.id)) return;
  const builtinFile = join(dir, `${board.id}.json`);
  if (resolve(builtinFile) === resolve(board.file)) return;
  const builtin = resolveBoard(await readJsonFile(builtinFile), builtinFile);
  const strip = ({ file: _file, ...rest }: Board) => rest;
  const differ = differences(strip(builtin), strip(board));
  if (differ.length === 0) return;
  throw new ValidationError(board.file, [
    {
      path: 'id',
      message: `expected an id of its own (e.g. "${board.id}-custom"), found "${board.id}", the id of the built-in board ${shownPath(builtinFile)}, from which this file differs at ${differ.join(', ')}: results are stored under the board's id`,
    },
  ]);
}
