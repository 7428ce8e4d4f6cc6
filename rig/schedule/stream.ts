// Streaming inference (StreamNet): the patch stage runs cell by cell as in patch-based inference,
// but keeps stream buffers instead of recomputing halos. stream1d streams along the rows of the
// grid (cells left to right keep the columns they share; rows shared with the cell row above are
// still recomputed); stream2d streams along both, so every stage pixel is computed once.
import { layerwiseCalls } from './layerwise.js';
import { planPatches, type PatchOptions } from './patch.js';
import { allocatePlan, type Plan } from './plan.js';
import type { Model } from '../model/ir.js';
import { stageCalls } from './tiling.js';

export type StreamSchedule = 'stream1d' | 'stream2d';

export function planStreamSchedule(model: Model, schedule: StreamSchedule, options: PatchOptions): Plan {
  const pp = planPatches(model, options); // the same stage and grid, and the same refusals
  const stage = new Set(pp.stageOps);
  const modes = schedule === 'stream2d' ? ({ rows: 'stream', cols: 'stream' } as const) : ({ rows: 'recompute', cols: 'stream' } as const);
  const calls = [
    ...stageCalls(model, { ops: pp.stageOps, output: pp.stageOutput }, options.patches, modes),
    ...layerwiseCalls(
      model,
      model.ops.map((_, i) => i).filter((i) => !stage.has(i)),
    ),
  ];
  return allocatePlan(model, schedule, { ...options }, calls, null);
}
