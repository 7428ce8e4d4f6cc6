// Zod's issues as path-named problems that also say what was found, for every file a user writes.
import type { z } from 'zod';
import type { Issue } from './errors.js';

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const part of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[part as string];
  }
  return v;
}

/** Zod's issues as path-named problems that also say what was found there. */
export function schemaIssues(error: z.ZodError, root: unknown): Issue[] {
  return error.issues.map((issue) => {
    const found = valueAt(root, issue.path);
    // A rule of rig's own says what it found in its message.
    const says = issue.code === 'unrecognized_keys' || issue.code === 'custom' || found === undefined;
    const message = says ? issue.message : `${issue.message} (found ${describe(found)})`;
    return { path: formatPath(issue.path), message };
  });
}
