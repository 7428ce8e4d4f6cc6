// Plain-text tables for the terminal.
import { PUBLISHED } from '../model/published.js';
import type { ResultRow } from '../store/db.js';

export function formatInt(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  return Math.round(n).toLocaleString('en-US');
}

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], rightAlign: ReadonlySet<number> = new Set()): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (rightAlign.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function latencyLabel(row: Pick<ResultRow, 'latency'>): string {
  if (row.latency === null) return '-';
  return row.latency.unit === 'instructions' ? 'instructions (emulated)' : 'cycles';
}

export function resultsTable(rows: readonly ResultRow[]): string {
  const headers = ['model', 'schedule', 'board', 'runner', 'status', 'latency unit', 'n', 'min', 'median', 'max', 'arena planned', 'arena measured', 'stack', 'flash', 'static RAM', 'MACs', 'CRC device', 'CRC reference'];
  const body = rows.map((r) => [
    r.model,
    r.schedule,
    r.board,
    r.runner,
    r.status,
    latencyLabel(r),
    formatInt(r.latency?.n),
    formatInt(r.latency?.min),
    formatInt(r.latency?.median),
    formatInt(r.latency?.max),
    formatInt(r.memory.plannedArenaBytes),
    formatInt(r.memory.measuredArenaBytes),
    formatInt(r.memory.stackBytes),
    formatInt(r.memory.flashBytes),
    formatInt(r.memory.staticRamBytes),
    formatInt(r.macs),
    r.outputCrc32 ?? '-',
    r.referenceCrc32,
  ]);
  const notes = rows.filter((r) => r.detail !== null).map((r) => `${r.model}/${r.schedule} ${r.status}: ${r.detail}`);
  for (const r of rows) {
    const tinyEngine = PUBLISHED.get(r.model)?.tinyEngineLayerwisePeakBytes;
    if (tinyEngine !== undefined && r.schedule === 'layer') {
      notes.push(`${r.model}: planned arena ${formatInt(r.memory.plannedArenaBytes)} B, measured ${formatInt(r.memory.measuredArenaBytes)} B; TinyEngine's layer-wise plan: ${formatInt(tinyEngine)} B`);
    }
  }
  return [renderTable(headers, body, new Set([6, 7, 8, 9, 10, 11, 12, 13, 14, 15])), ...notes].join('\n') + '\n';
}
