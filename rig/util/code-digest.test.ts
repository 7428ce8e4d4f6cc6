import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { codeDigest } from './code-digest.js';

test("a code digest changes with any module's byte in its folders, and with nothing else", async () => {
  const base = mkdtempSync(join(tmpdir(), 'rig-code-'));
  const a = join(base, 'a');
  mkdirSync(join(a, 'codegen'), { recursive: true });
  mkdirSync(join(a, 'other'));
  writeFileSync(join(a, 'other', 'o.js'), '0;\n');
  writeFileSync(join(a, 'codegen', 'c.js'), 'export const x = 1;\n');
  writeFileSync(join(a, 'codegen', 'cdata.js'), 'export const y = 2;\n');
  const copy = (name: string, edit: (root: string) => void) => {
    const root = join(base, name);
    cpSync(a, root, { recursive: true });
    edit(root);
    return codeDigest(['codegen'], root);
  };
  const digest = await codeDigest(['codegen'], a);
  assert.match(digest, /^[0-9a-f]{64}$/);
  // Tests, maps, declarations and other folders are not the code.
  assert.equal(
    await copy('b', (r) => {
      writeFileSync(join(r, 'codegen', 'c.test.js'), 'test();\n');
      writeFileSync(join(r, 'codegen', 'c.js.map'), '{}');
      writeFileSync(join(r, 'codegen', 'c.d.ts'), 'export declare const x: number;\n');
      writeFileSync(join(r, 'other', 'o.js'), '1;\n');
    }),
    digest,
  );
  assert.notEqual(await copy('c', (r) => writeFileSync(join(r, 'codegen', 'cdata.js'), 'export const y = 3;\n')), digest);
  assert.notEqual(await copy('d', (r) => writeFileSync(join(r, 'codegen', 'new.js'), '')), digest);
  assert.notEqual(await codeDigest(['codegen', 'other'], a), digest);
});
