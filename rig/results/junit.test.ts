import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import type { RowComparison } from './compare.js';
import { junitXml } from './junit.js';

const base: RowComparison = {
  key: 'k',
  model: 'net',
  schedule: 'layer',
  kernels: 'reference',
  board: 'f746',
  runner: 'qemu',
  status: { baseline: 'ok', current: 'ok' },
  latencyUnit: 'instructions',
  latency: { baseline: 10, current: 10 },
  arena: { baseline: 1, current: 1 },
  flash: { baseline: 1, current: 1 },
  macs: { baseline: 1, current: 1 },
  verdict: 'same',
  reasons: [],
};

// Read back by a real XML parser (Python's), as a CI system would.
const PARSE = `
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
print(json.dumps({"tests": root.get("tests"), "failures": root.get("failures"), "suites": [
  {"name": s.get("name"), "tests": s.get("tests"), "failures": s.get("failures"), "cases": [
    {"classname": c.get("classname"), "name": c.get("name"),
     "failure": None if c.find("failure") is None else {"type": c.find("failure").get("type"), "message": c.find("failure").get("message"), "text": c.find("failure").text}}
    for c in s.findall("testcase")]} for s in root.findall("testsuite")]}))
`;

test('JUnit XML: one suite per board and runner, a failure per failing case, hostile text intact after parsing', () => {
  const hostile = 'net <script>&"\'\u0001';
  const xml = junitXml('emulated', [
    base,
    { ...base, model: hostile, verdict: 'regressed', reasons: ['median instructions 10 → 11 (+10.00%)'] },
    { ...base, board: 'f412', verdict: 'failed', reasons: ['status timeout (was ok): run: no line in 60000 ms'] },
    { ...base, board: 'f412', schedule: 'patch 2×2 split 3', verdict: 'missing', reasons: ['the case did not run'] },
    { ...base, board: 'f412', schedule: 'stream2d 2×2 split 3', verdict: 'improved', reasons: ['arena B 2 → 1 (-50.00%)'] },
  ], '2026-11-27T00:00:00.000Z');
  const parsed = JSON.parse(execFileSync('python3', ['-c', PARSE], { input: xml }).toString()) as {
    tests: string;
    failures: string;
    suites: { name: string; tests: string; failures: string; cases: { classname: string; name: string; failure: { type: string; message: string; text: string } | null }[] }[];
  };
  assert.equal(parsed.tests, '5');
  assert.equal(parsed.failures, '3');
  assert.deepEqual(parsed.suites.map((s) => [s.name, s.tests, s.failures]), [['emulated: f746 (qemu)', '2', '1'], ['emulated: f412 (qemu)', '3', '2']]);
  const [same, regressed] = parsed.suites[0]!.cases;
  assert.equal(same!.failure, null);
  assert.equal(regressed!.classname, `emulated.f746.qemu.net <script>&"'\ufffd`);
  // The kernel variant is part of the case: a reference case and another variant's have different names.
  assert.equal(regressed!.name, 'layer, kernels reference');
  assert.deepEqual(regressed!.failure, { type: 'regressed', message: 'regressed: median instructions 10 → 11 (+10.00%)', text: 'regressed: median instructions 10 → 11 (+10.00%)' });
  assert.deepEqual(parsed.suites[1]!.cases.map((c) => c.failure?.type ?? null), ['failed', 'missing', null]);
});
