// A nightly suite (boards/suites/<name>.json, or any path): which boards run which models under
// which schedules with which kernel variant, and how many times. Fixed plans only: a nightly compares the same cases night
// after night, so `auto` (whose choice may move with stored measurements) is not offered.
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { DEFAULTS } from '../defaults.js';
import { SCHEDULES } from '../schedule/plan.js';
import { UserError, ValidationError } from '../util/errors.js';
import { MAX_SEED, MAX_TIMER_MS } from '../util/limits.js';
import { BOARDS_DIR } from '../util/paths.js';
import { schemaIssues } from '../util/schema.js';
import { readJsonFile } from './json.js';

export const SUITES_DIR = join(BOARDS_DIR, 'suites');

const count = z.number().int().min(1);
const entry = z.strictObject({
  board: z.string().min(1),
  emulate: z.boolean().default(false),
  variant: z.string().min(1).optional(),
  probe: z.string().min(1).optional(),
  port: z.string().min(1).optional(),
  arenaRam: z.string().min(1).optional(),
  models: z.array(z.string().min(1)).min(1),
  /** Omitted: every schedule that applies to each model. */
  schedules: z.array(z.enum(SCHEDULES)).min(1).optional(),
  patches: count.optional(),
  split: count.optional(),
  rows: count.optional(),
  /** The kernel variant compiled into the entry's images (a folder of firmware-templates/kernels/). */
  kernels: z.string().min(1).default(DEFAULTS.kernels),
});
const suiteSchema = z.strictObject({
  description: z.string().optional(),
  seed: z.number().int().min(0).max(MAX_SEED).default(DEFAULTS.seed),
  warmup: z.number().int().min(0).max(1000).default(DEFAULTS.warmup),
  runs: count.max(1000).default(DEFAULTS.runs),
  timeoutMs: count.max(MAX_TIMER_MS).default(DEFAULTS.inferenceTimeoutMs),
  /** Silicon cycles: the least relative change that counts as a regression. */
  cyclesThreshold: z
    .number()
    .min(0)
    .max(1)
    .default(DEFAULTS.compareThresholdPercent / 100),
  entries: z.array(entry).min(1),
});

export type SuiteEntry = z.output<typeof entry>;
export type Suite = z.output<typeof suiteSchema> & { name: string; file: string };

function available(): string {
  const names = existsSync(SUITES_DIR)
    ? readdirSync(SUITES_DIR)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -'.json'.length))
    : [];
  return names.length === 0 ? `none in ${SUITES_DIR}` : names.join(', ');
}

/** A suite by name (boards/suites/NAME.json) or by path to a .json file; its name is the file's. */
export async function loadSuite(nameOrPath: string): Promise<Suite> {
  const isPath = nameOrPath.endsWith('.json') || nameOrPath.includes('/');
  const file = isPath ? nameOrPath : join(SUITES_DIR, `${nameOrPath}.json`);
  if (!isPath && !existsSync(file))
    throw new UserError(`Unknown suite "${nameOrPath}": expected a name of boards/suites/*.json (${available()}) or a path to a suite file`, { exitCode: 2 });
  const value = await readJsonFile(file);
  const parsed = suiteSchema.safeParse(value);
  if (!parsed.success) throw new ValidationError(file, schemaIssues(parsed.error, value));
  const problems = parsed.data.entries.flatMap((e, i) =>
    e.emulate && (e.probe ?? e.port ?? e.arenaRam) !== undefined
      ? [{ path: `entries[${i}]`, message: 'expected no probe, port or arenaRam with "emulate": true (they choose a physical board)' }]
      : [],
  );
  if (problems.length > 0) throw new ValidationError(file, problems);
  return { ...parsed.data, name: basename(file, '.json'), file };
}
