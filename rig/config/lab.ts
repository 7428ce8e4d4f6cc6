// The lab inventory (boards/lab.json): names for the physical boards of one machine, so that a
// nightly run can address "f746-a" and "f746-b". Optional; a missing file is an empty lab.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULTS } from '../defaults.js';
import { ValidationError } from '../util/errors.js';
import { schemaIssues } from '../util/schema.js';
import { loadBoard, type Board } from './board.js';
import { readJsonFile } from './json.js';

const entry = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/, 'expected a lowercase name like "f746-a"'),
  board: z.string().min(1),
  variant: z.string().min(1).optional(),
  probe: z.string().min(1).optional(),
  port: z.string().min(1).optional(),
});
const labSchema = z.strictObject({ boards: z.array(entry) });

export type LabEntry = z.output<typeof entry>;

export async function loadLab(file: string = DEFAULTS.lab): Promise<LabEntry[]> {
  if (file === DEFAULTS.lab && !existsSync(file)) return [];
  const value = await readJsonFile(file);
  const parsed = labSchema.safeParse(value);
  if (!parsed.success) throw new ValidationError(file, schemaIssues(parsed.error, value));
  const names = new Set<string>();
  parsed.data.boards.forEach((b, i) => {
    if (names.has(b.name)) throw new ValidationError(file, [{ path: `boards[${i}].name`, message: `expected a name used once, found "${b.name}" again` }]);
    names.add(b.name);
  });
  return parsed.data.boards;
}

/** A board id or file, or a lab board's name with what the inventory says of it. */
export async function resolveLabBoard(nameOrId: string, labFile?: string): Promise<{ board: Board; entry: LabEntry | null }> {
  const lab = await loadLab(labFile);
  const found = lab.find((e) => e.name === nameOrId);
  if (found === undefined) return { board: await loadBoard(nameOrId), entry: null };
  const board = await loadBoard(found.board);
  if (found.variant !== undefined && !(found.variant in board.variants)) {
    const i = lab.indexOf(found);
    throw new ValidationError(labFile ?? DEFAULTS.lab, [
      { path: `boards[${i}].variant`, message: `expected one of ${Object.keys(board.variants).join(', ')} (${board.file}), found "${found.variant}"` },
    ]);
  }
  return { board, entry: found };
}
