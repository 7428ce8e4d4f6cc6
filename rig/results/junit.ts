// A nightly run as JUnit XML, the format CI systems read: one test suite per board and runner,
// one test case per benchmark case; a regression, a mismatch, a failure or a missing case is a
// <failure> whose message says why.
import type { RowComparison } from './compare.js';
import { FAILING_VERDICTS } from './compare.js';

export function escapeXml(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // Characters XML 1.0 cannot carry at all, even escaped: these control characters are the point.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
  );
}

export function junitXml(suite: string, comparisons: readonly RowComparison[], timestamp: string): string {
  const groups = new Map<string, RowComparison[]>();
  for (const c of comparisons) {
    const name = `${c.board} (${c.runner})`;
    groups.set(name, [...(groups.get(name) ?? []), c]);
  }
  const attr = (name: string, value: string | number) => `${name}="${escapeXml(String(value))}"`;
  const failures = comparisons.filter((c) => FAILING_VERDICTS.has(c.verdict)).length;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites ${attr('name', `rig nightly ${suite}`)} ${attr('tests', comparisons.length)} ${attr('failures', failures)} ${attr('errors', 0)}>`];
  for (const [name, cases] of groups) {
    const failed = cases.filter((c) => FAILING_VERDICTS.has(c.verdict)).length;
    lines.push(`  <testsuite ${attr('name', `${suite}: ${name}`)} ${attr('tests', cases.length)} ${attr('failures', failed)} ${attr('errors', 0)} ${attr('skipped', 0)} ${attr('timestamp', timestamp)}>`);
    for (const c of cases) {
      const open = `    <testcase ${attr('classname', `${suite}.${c.board}.${c.runner}.${c.model}`)} ${attr('name', `${c.schedule}, kernels ${c.kernels}`)}`;
      const summary = `${c.verdict}${c.reasons.length > 0 ? `: ${c.reasons.join('; ')}` : ''}`;
      if (FAILING_VERDICTS.has(c.verdict)) {
        lines.push(`${open}>`, `      <failure ${attr('type', c.verdict)} ${attr('message', summary)}>${escapeXml(summary)}</failure>`, '    </testcase>');
      } else lines.push(`${open}>`, `      <system-out>${escapeXml(summary)}</system-out>`, '    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
