// A model by built-in name or by path to a user's JSON spec.
import { lowerModel } from '../model/lower.js';
import type { Model } from '../model/ir.js';
import { parseModelSpec } from '../model/spec.js';
import { BUILTIN_MODELS } from '../model/zoo.js';
import { UserError } from '../util/errors.js';
import { readJsonFile } from './json.js';

export async function loadModel(nameOrPath: string, seed: number): Promise<Model> {
  const builtin = BUILTIN_MODELS.get(nameOrPath);
  if (builtin !== undefined) return lowerModel(parseModelSpec(builtin, `built-in model ${nameOrPath}`), seed);
  if (!nameOrPath.endsWith('.json')) {
    throw new UserError(`Unknown model "${nameOrPath}": expected a built-in name (${[...BUILTIN_MODELS.keys()].join(', ')}) or a path to a .json model spec`);
  }
  const spec = parseModelSpec(await readJsonFile(nameOrPath), nameOrPath);
  return lowerModel(spec, seed, nameOrPath);
}
