// What `rig models` lists: every built-in network's figures (all analytic), with the published ones.
import { loadModel } from '../config/model.js';
import { PUBLISHED, type Published } from '../model/published.js';
import { BUILTIN_MODELS } from '../model/zoo.js';
import { analyze, type ModelFigures } from '../schedule/analysis.js';
import { planLayerwise } from '../schedule/layerwise.js';

export interface ModelListing {
  readonly figures: ModelFigures;
  readonly published: Published | null;
}

/** The built-in networks in the zoo's order, each planned layer-wise. */
export async function listModels(seed: number): Promise<ModelListing[]> {
  const all = await Promise.all([...BUILTIN_MODELS.keys()].map(async (name) => analyze(planLayerwise(await loadModel(name, seed)))));
  return all.map((figures) => ({ figures, published: PUBLISHED.get(figures.model) ?? null }));
}
