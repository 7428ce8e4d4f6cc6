// rig plan and rig models: analysis without hardware.
import { loadModel } from '../config/model.js';
import { PUBLISHED } from '../model/published.js';
import { BUILTIN_MODELS } from '../model/zoo.js';
import { analyze, type ModelFigures } from '../schedule/analysis.js';
import { planLayerwise } from '../schedule/layerwise.js';
import { formatInt, renderTable } from './table.js';

function pct(value: number, reference: number): string {
  const d = ((value - reference) / reference) * 100;
  if (Math.abs(d) < 0.005) return '0.00%';
  return `${d > 0 ? '+' : ''}${d.toFixed(2)}%`;
}

export async function figuresFor(model: string, seed: number): Promise<ModelFigures> {
  return analyze(planLayerwise(await loadModel(model, seed)));
}

function comparisons(f: ModelFigures): string[] {
  const p = PUBLISHED.get(f.model);
  if (p === undefined) return [];
  const lines: string[] = [];
  if (p.macs !== undefined) lines.push(`MACs ${formatInt(f.macs)} vs ${formatInt(p.macs)} published (${p.source}): ${pct(f.macs, p.macs)}`);
  if (p.params !== undefined) lines.push(`params ${formatInt(f.params)} vs ${formatInt(p.params)} published: ${pct(f.params, p.params)}`);
  if (p.tinyEngineLayerwisePeakBytes !== undefined) {
    lines.push(`real arena peak ${formatInt(f.arenaPeakBytes)} B vs TinyEngine's layer-wise plan ${formatInt(p.tinyEngineLayerwisePeakBytes)} B: ${pct(f.arenaPeakBytes, p.tinyEngineLayerwisePeakBytes)}`);
  }
  if (p.msfLayerwisePeakBytes !== undefined) lines.push(`msf-CNN's layer-wise peak (their metric): ${formatInt(p.msfLayerwisePeakBytes)} B`);
  return lines;
}

export async function planCommand(args: { model: string; seed: number; json: boolean }): Promise<number> {
  const f = await figuresFor(args.model, args.seed);
  if (args.json) {
    process.stdout.write(JSON.stringify({ schedule: 'layer', ...f, published: PUBLISHED.get(f.model) ?? null }, null, 2) + '\n');
    return 0;
  }
  const rows = f.layers.map((l) => [
    l.name,
    l.kind + (l.inPlace ? ' (in place)' : ''),
    l.outputShape.join('×'),
    formatInt(l.macs),
    formatInt(l.params),
    formatInt(l.weightBytes),
    formatInt(l.activationBytes),
  ]);
  const out = [
    `${f.model}: input ${f.input.join('×')}, schedule layer`,
    renderTable(['layer', 'op', 'output', 'MACs', 'params', 'weight bytes', 'in+out bytes'], rows, new Set([3, 4, 5, 6])),
    '',
    `MACs                         ${formatInt(f.macs)}`,
    `params (PyTorch count)       ${formatInt(f.params)}`,
    `weights in flash             ${formatInt(f.weightBytes)} B`,
    `paper-metric peak            ${formatInt(f.paperPeakBytes)} B (${(f.paperPeakBytes / 1024).toFixed(1)} KB: largest layer input + output, depthwise in place)`,
    `real arena peak              ${formatInt(f.arenaPeakBytes)} B (what the firmware allocates: lifetimes, residuals, in-place ops, scratch)`,
    ...comparisons(f),
  ];
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

export async function modelsCommand(args: { seed: number; json: boolean }): Promise<number> {
  const all = await Promise.all([...BUILTIN_MODELS.keys()].map((name) => figuresFor(name, args.seed)));
  if (args.json) {
    process.stdout.write(
      JSON.stringify(
        all.map(({ layers: _layers, ...f }) => ({ ...f, published: PUBLISHED.get(f.model) ?? null })),
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  const rows = all.map((f) => {
    const p = PUBLISHED.get(f.model);
    return [
      f.model,
      f.input.join('×'),
      formatInt(f.macs),
      p?.macs === undefined ? '' : pct(f.macs, p.macs),
      formatInt(f.params),
      p?.params === undefined ? '' : pct(f.params, p.params),
      formatInt(f.paperPeakBytes),
      formatInt(f.arenaPeakBytes),
      formatInt(f.weightBytes),
    ];
  });
  process.stdout.write(
    renderTable(['model', 'input', 'MACs', 'vs published', 'params', 'vs published', 'paper peak B', 'real peak B', 'flash weights B'], rows, new Set([2, 3, 4, 5, 6, 7, 8])) +
      '\n',
  );
  return 0;
}
