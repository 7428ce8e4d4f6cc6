// Writes the report page: data from the store, uPlot from its installed package, one HTML file.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Store } from '../store/db.js';
import { collectReport, type ReportSelection } from './data.js';
import { renderReport, type UplotSources } from './html.js';

/** uPlot's browser build and stylesheet, from wherever Node resolves the package. */
export function uplotSources(): UplotSources {
  const require = createRequire(import.meta.url);
  return {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

/**
 * The report of the selected runs (or a nightly's, or the newest run's) written to `outPath`;
 * nothing is written when the selection names nothing stored.
 */
export async function writeReport(store: Store, selection: ReportSelection, outPath: string): Promise<{ path: string; runIds: number[] }> {
  const data = await collectReport(store, selection);
  const html = renderReport(data, uplotSources());
  const path = resolve(outPath);
  mkdirSync(dirname(path), { recursive: true });
  // A reader (a browser reloading the file) never sees half a page.
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, html);
  renameSync(partial, path);
  return { path, runIds: data.selection.runIds };
}

/** The report of runs stored in the database at `db` (which must exist) written to `out`. */
export async function reportRuns(request: { db: string; selection: ReportSelection; out: string }): Promise<{ path: string; runIds: number[] }> {
  const store = Store.existing(request.db);
  try {
    return await writeReport(store, request.selection, request.out);
  } finally {
    store.close();
  }
}
