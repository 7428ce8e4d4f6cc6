// A paper table as data (columns, rows of cells, notes) and its three renderings: GitHub
// markdown, CSV (RFC 4180) and JSON. Each cell carries its exact value (for JSON) and the text a
// reader sees (markdown, CSV); a missing value is null and prints as "-".
import { csvTable, formatInt, pct } from '../util/format.js';

export type Value = number | string | boolean | null | readonly Value[] | { readonly [key: string]: Value };

export interface Cell {
  readonly value: Value;
  readonly text: string;
}

export interface Column {
  readonly key: string;
  /** Names the quantity and where it comes from: published, analytic (rig plan), or measured (board, runner). */
  readonly header: string;
  /** Right-aligned in markdown. */
  readonly numeric?: boolean;
}

/** Cells by column key; a key that is no column (a row id) goes to the JSON only. */
export type Row = Readonly<Record<string, Cell>>;

export interface PaperTable {
  readonly name: string;
  readonly title: string;
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
  /** Sources and caveats, one sentence or two each. */
  readonly notes: readonly string[];
  /** Where the measured columns were read from, when the table has any. */
  readonly measuredFrom?: { readonly db: string; readonly board: string; readonly runner: string; readonly seed: number; readonly found: boolean };
  /** Where columns of released model files were read from: the folder (null when none was given) and the files not in it. */
  readonly releasedFrom?: { readonly dir: string | null; readonly missing: readonly string[] };
}

export const FORMATS = ['md', 'csv', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export const MISSING: Cell = { value: null, text: '-' };
export const text = (s: string): Cell => ({ value: s, text: s });
export const int = (n: number | null | undefined): Cell => (n === null || n === undefined ? MISSING : { value: n, text: formatInt(n) });
/** A signed relative difference, `value` against `reference`. */
export const diff = (value: number | null | undefined, reference: number | null | undefined, digits = 1): Cell =>
  value === null || value === undefined || reference === null || reference === undefined
    ? MISSING
    : { value: value / reference - 1, text: pct(value, reference, digits) };
export const ratio = (n: number | null | undefined, digits = 3): Cell =>
  n === null || n === undefined ? MISSING : { value: n, text: `${n.toFixed(digits)}×` };
/** A share such as MACs saved, printed in percent. */
export const percent = (fraction: number | null | undefined, digits = 1): Cell =>
  fraction === null || fraction === undefined ? MISSING : { value: fraction, text: `${(fraction * 100).toFixed(digits)}%` };
/** The difference of two fractions in percentage points, signed. */
export function points(fraction: number, reference: number, digits = 1): string {
  const d = (fraction - reference) * 100;
  return `${d >= 0 ? '+' : '-'}${Math.abs(d).toFixed(digits)} pp`;
}

const mdEscape = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function renderMarkdown(table: PaperTable): string {
  // A row without a column's key leaves it blank (a summary row); a missing value prints "-".
  const cells = table.rows.map((row) => table.columns.map((c) => mdEscape(row[c.key]?.text ?? '')));
  const headers = table.columns.map((c) => mdEscape(c.header));
  const widths = headers.map((h, i) => Math.max(h.length, 3, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) =>
    `| ${values.map((v, i) => (table.columns[i]!.numeric ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (table.columns[i]!.numeric ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [`### ${table.title}`, '', line(headers), rule, ...cells.map(line), '', ...table.notes, ''].join('\n');
}

/** RFC 4180 (see csvTable): a header row, then one record per row; a missing value is an empty field. */
export function renderCsv(table: PaperTable): string {
  const records = table.rows.map((row) => table.columns.map((c) => ((row[c.key]?.value ?? null) === null ? null : row[c.key]!.text)));
  return csvTable(
    table.columns.map((c) => c.header),
    records,
  );
}

/** The exact values, keyed by column (and by any key a row has beyond them, such as an id), with the columns' headers and the notes. */
export function renderJson(table: PaperTable): string {
  const keys = new Set(table.columns.map((c) => c.key));
  const rows = table.rows.map((row) =>
    Object.fromEntries([
      ...Object.entries(row)
        .filter(([k]) => !keys.has(k))
        .map(([k, c]) => [k, c.value] as const),
      ...table.columns.map((c) => [c.key, row[c.key]?.value ?? null] as const),
    ]),
  );
  const out = {
    table: table.name,
    title: table.title,
    columns: table.columns.map((c) => ({ key: c.key, header: c.header })),
    rows,
    notes: table.notes,
    ...(table.measuredFrom === undefined ? {} : { measuredFrom: table.measuredFrom }),
    ...(table.releasedFrom === undefined ? {} : { releasedFrom: table.releasedFrom }),
  };
  return JSON.stringify(out, null, 2) + '\n';
}

export function render(table: PaperTable, format: Format): string {
  switch (format) {
    case 'md':
      return renderMarkdown(table);
    case 'csv':
      return renderCsv(table);
    case 'json':
      return renderJson(table);
  }
}
