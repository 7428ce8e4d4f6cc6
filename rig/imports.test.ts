// The shape of the source tree, read from rig/*.ts itself (not from dist/, which may hold files
// whose source is gone): no import cycles, and a pure core that reaches no file, process, port or
// database. `import type` counts: a type-only cycle costs nothing at run time, but it ties two
// modules together all the same, and the next value import along it makes it a real one.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './util/paths.js';

const RIG = join(ROOT, 'rig');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every module specifier of a file: static imports and re-exports (type-only too), bare side-effect imports, dynamic import(). */
export function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const re of [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]) {
    for (const m of code.matchAll(re)) found.push(m[1]!);
  }
  return found;
}

/** rig/a/b.ts → a/b.ts, the name every message uses. */
const name = (path: string) => relative(RIG, path).split(sep).join('/');

interface Graph {
  /** Relative imports, resolved to source files, by importing file. */
  readonly edges: ReadonlyMap<string, readonly string[]>;
  /** Every specifier, as written, by file. */
  readonly imports: ReadonlyMap<string, readonly string[]>;
}

function readGraph(): Graph {
  const files = sourceFiles(RIG).sort();
  const known = new Set(files);
  const edges = new Map<string, string[]>();
  const imports = new Map<string, string[]>();
  for (const file of files) {
    const specs = specifiers(readFileSync(file, 'utf8'));
    imports.set(file, specs);
    const targets = specs
      .filter((s) => s.startsWith('.'))
      .map((s) => {
        const target = resolve(dirname(file), s.replace(/\.js$/, '.ts'));
        assert.ok(known.has(target), `${name(file)} imports ${s}, which is no .ts file under rig/`);
        return target;
      });
    edges.set(file, [...new Set(targets)]);
  }
  return { edges, imports };
}

/** One cycle per strongly connected component (Tarjan), each as a → b → … → a, shortest first. */
export function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) components.push(component);
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  // Within a component, the shortest way from each file back to itself (breadth first), each
  // cycle once: together they name every import that keeps the component tied.
  const shortest = (start: string, inside: ReadonlySet<string>): string[] => {
    const previous = new Map<string, string>();
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      const v = queue[i]!;
      for (const w of edges.get(v) ?? []) {
        if (!inside.has(w)) continue;
        if (w === start) {
          const path = [start];
          for (let u = v; u !== start; u = previous.get(u)!) path.splice(1, 0, u);
          return [...path, start];
        }
        if (!previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    return [start, start];
  };
  const found: string[][] = [];
  const seen = new Set<string>();
  for (const component of components) {
    const inside = new Set(component);
    for (const start of [...component].sort()) {
      const cycle = shortest(start, inside);
      const ring = cycle.slice(0, -1);
      const first = ring.indexOf([...ring].sort()[0]!);
      const key = [...ring.slice(first), ...ring.slice(0, first)].join('\n');
      if (seen.has(key)) continue;
      seen.add(key);
      found.push(cycle);
    }
  }
  return found.sort((a, b) => a.length - b.length || a.join().localeCompare(b.join()));
}

test('no module under rig/ imports itself through others', () => {
  const found = cycles(readGraph().edges).map((c) => c.map(name).join(' → '));
  assert.deepEqual(found, [], `import cycles:\n  ${found.join('\n  ')}`);
});

test('the cycle finder names a cycle and ignores a diamond', () => {
  const graph = new Map([
    ['a', ['b', 'd']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['e']],
    ['e', []],
    ['f', ['e']],
  ]);
  assert.deepEqual(cycles(graph), [['a', 'b', 'c', 'a']]);
  assert.deepEqual(cycles(new Map([['x', ['x']]])), [['x', 'x']]);
  // Spelled in capitals here, so that this file's own scan does not take the sample for imports.
  const sample = `IMPORT type { A } from './a.js';\nEXPORT { b } from "../b.js";\nIMPORT './c.js';\n// IMPORT { d } from './d.js';\nconst e = await IMPORT('./e.js');`;
  assert.deepEqual(specifiers(sample.replace(/IMPORT/g, 'import').replace(/EXPORT/g, 'export')), ['./a.js', '../b.js', './c.js', './e.js']);
});

/** The pure core: model and operators → plan → C source. Its tests may read fixtures; what ships may not. */
const PURE = ['model', 'ops', 'schedule', 'codegen'];
const EFFECTFUL_PACKAGES = ['node:fs', 'node:fs/promises', 'fs', 'fs/promises', 'node:child_process', 'child_process', 'execa', 'serialport', 'better-sqlite3'];
const EFFECTFUL_FOLDERS = ['compile', 'deploy', 'telemetry', 'store', 'proc'];

test('the pure core (model, ops, schedule, codegen) reaches no files, processes, ports, database or effectful folder', () => {
  const { edges, imports } = readGraph();
  const problems = new Set<string>();
  for (const file of edges.keys()) {
    const where = name(file);
    if (!PURE.includes(where.split('/')[0]!) || where.endsWith('.test.ts')) continue;
    // Breadth first through everything it imports, directly or not, keeping the way there.
    const way = new Map<string, string[]>([[file, [where]]]);
    const queue = [file];
    for (let i = 0; i < queue.length; i++) {
      const v = queue[i]!;
      const path = way.get(v)!.join(' → ');
      if (EFFECTFUL_FOLDERS.includes(name(v).split('/')[0]!)) problems.add(path);
      for (const s of imports.get(v) ?? []) if (EFFECTFUL_PACKAGES.includes(s) || s.startsWith('@serialport/')) problems.add(`${path} imports ${s}`);
      for (const w of edges.get(v) ?? []) {
        if (way.has(w)) continue;
        way.set(w, [...way.get(v)!, name(w)]);
        queue.push(w);
      }
    }
  }
  assert.deepEqual([...problems], []);
});

/** cli/ files that format or parse for several commands; the rest are commands, which app.ts wires and main.ts runs. */
const CLI_HELPERS = ['cli/table.ts', 'cli/options.ts', 'cli/interrupt.ts', 'cli/errors.ts', 'cli/numbers.ts', 'cli/testing.ts'];

test('commands import from below cli/, never from each other; nothing below cli/ imports it (tests may run the built CLI, and test their own command)', () => {
  const { edges } = readGraph();
  const problems: string[] = [];
  for (const [file, targets] of edges) {
    const where = name(file);
    for (const target of targets.map(name).filter((t) => t.startsWith('cli/'))) {
      if ((where === 'cli/main.ts' || where === 'cli/app.ts') && target !== 'cli/main.ts') continue;
      if (where.endsWith('.test.ts') && target === 'cli/app.ts') continue; // the command line run in-process
      if (CLI_HELPERS.includes(target) && (where.startsWith('cli/') || (where.endsWith('.test.ts') && target === 'cli/testing.ts'))) continue;
      if (where.replace(/(\.e2e)?\.test\.ts$/, '.ts') === target) continue; // a command's own tests
      problems.push(`${where} imports ${target}`);
    }
  }
  assert.deepEqual(problems, []);
});
