// Numbers as people read them, for every table the rig prints or writes.

/** An integer with thousands grouped (`1,404,928`); null or undefined as "-". */
export function formatInt(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  return Math.round(n).toLocaleString('en-US');
}

/** The change from `reference` to `value` in percent, signed. */
export function pct(value: number, reference: number, digits = 2): string {
  const d = ((value - reference) / reference) * 100;
  if (Math.abs(d) < 0.5 * 10 ** -digits) return `${(0).toFixed(digits)}%`;
  return `${d > 0 ? '+' : ''}${d.toFixed(digits)}%`;
}

/** RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled; CRLF rows; null is an empty field. */
export function csvTable(headers: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  const field = (c: string | number | null) => {
    const text = c === null ? '' : String(c);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [headers, ...rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}
