// Test cases for the tiled schedules: random specs with every split and grid their stage allows.
import type { Model } from '../model/ir.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec } from '../model/spec.js';
import { randomSpec } from '../model/testing.js';
import { planPatches } from './patch.js';
import { PlanRefusal } from './refusal.js';

export interface TiledCase {
  readonly model: Model;
  readonly patches: number;
  readonly split: number;
  readonly what: string;
}

/** Every valid (split, P) of the random specs with seeds 1..`seeds`, P from `grids`. */
export function* randomTiledCases(seeds: number, grids: readonly number[]): Generator<TiledCase> {
  for (let seed = 1; seed <= seeds; seed++) {
    const model = lowerModel(parseModelSpec(randomSpec(seed), `random-${seed}`), seed);
    const blocks = model.ops[model.ops.length - 1]!.block + 1;
    for (let split = 1; split < blocks; split++)
      for (const patches of grids) {
        try {
          planPatches(model, { patches, split });
        } catch (error) {
          if (error instanceof PlanRefusal) continue;
          throw error;
        }
        yield { model, patches, split, what: `random-${seed} P${patches} split ${split}` };
      }
  }
}
