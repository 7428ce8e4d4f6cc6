import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelMacs } from '../model/ir.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec } from '../model/spec.js';
import { BUILTIN_MODELS } from '../model/zoo.js';
import { candidateKey, choose, enumerateCandidates, paretoFront, search, type Candidate } from './search.js';

const zoo = (name: string) => lowerModel(parseModelSpec(BUILTIN_MODELS.get(name)!, name), 1);
const macs = (c: Candidate) => c.macs;

test('the search chooses the fewest MACs within a memory budget, or the smallest arena within a MAC budget', () => {
  const model = zoo('mcunet-vww1');
  const cands = enumerateCandidates(model, { maxPatches: 4 });
  const layer = cands.find((c) => c.schedule === 'layer')!;
  assert.equal(layer.macs, modelMacs(model));
  assert.ok(cands.length > 100 && new Set(cands.map((c) => c.schedule)).size === 4);

  // Room for everything: nothing executes fewer MACs than layer-wise; on the tie, the smaller arena
  // (stream2d computes each pixel once too).
  const roomy = choose(model, cands, { kind: 'cost', budgetBytes: 1 << 20 }, macs)!;
  assert.equal(roomy.macs, layer.macs);
  assert.ok(roomy.arenaBytes < layer.arenaBytes && roomy.schedule === 'stream2d');
  // Too little for layer-wise: the cheapest that fits, and nothing that fits is cheaper.
  const budget = 40_000;
  const chosen = choose(model, cands, { kind: 'cost', budgetBytes: budget }, macs)!;
  assert.ok(chosen.arenaBytes <= budget && chosen.schedule !== 'layer');
  assert.ok(cands.every((c) => c.arenaBytes > budget || c.macs >= chosen.macs));
  assert.equal(chosen.macs, modelMacs(model), 'stream2d fits and recomputes nothing');
  assert.equal(choose(model, cands, { kind: 'cost', budgetBytes: 100 }, macs), undefined);

  const small = choose(model, cands, { kind: 'memory', macBudget: 1.1 }, macs)!;
  assert.ok(small.macs <= 1.1 * layer.macs);
  assert.ok(cands.every((c) => c.macs > 1.1 * layer.macs || c.arenaBytes >= small.arenaBytes));

  // The front: ascending arena, strictly falling MACs, and every candidate matched or beaten by one of it.
  const front = paretoFront(cands, macs);
  for (let i = 1; i < front.length; i++) assert.ok(front[i]!.arenaBytes > front[i - 1]!.arenaBytes && front[i]!.macs < front[i - 1]!.macs);
  for (const c of cands) assert.ok(front.some((f) => f.arenaBytes <= c.arenaBytes && f.macs <= c.macs));
});

test('with every plan in the budget measured, the search ranks by emulated instructions; with one missing, by MACs', () => {
  const model = zoo('tiny-cnn');
  const objective = { kind: 'cost', budgetBytes: 6_000 } as const;
  const byMacs = search(model, objective, 3, new Map());
  assert.equal(byMacs.costBasis, 'macs');
  const feasible = byMacs.candidates.filter((c) => c.arenaBytes <= objective.budgetBytes);
  assert.ok(feasible.length >= 2);
  // Make the plan with the most MACs the fastest measured one.
  const slowest = [...feasible].sort((a, b) => b.macs - a.macs)[0]!;
  const measured = new Map(feasible.map((c) => [candidateKey(c.schedule, c.options), c === slowest ? 1 : 1000 + c.macs]));
  const byInstructions = search(model, objective, 3, measured);
  assert.equal(byInstructions.costBasis, 'instructions');
  assert.deepEqual(byInstructions.chosen, slowest);
  measured.delete(candidateKey(feasible[0]!.schedule, feasible[0]!.options));
  assert.equal(search(model, objective, 3, measured).costBasis, 'macs');
});
