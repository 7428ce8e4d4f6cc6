// A digest of a model's content: every tensor, every op with its weights and parameters, the input.
// Two models with equal digests compute the same output; the reference cache is keyed on it, and
// the image cache on a plan's digest (which holds its model).
import { createHash, type Hash } from 'node:crypto';
import type { Model } from './ir.js';

/**
 * Feeds any IR value to the hash in one canonical form: keys sorted, typed arrays as their bytes,
 * each value tagged with its type. Anything else with content of its own (a Map, a class
 * instance) would hash as empty: it throws instead.
 */
function feed(hash: Hash, value: unknown): void {
  if (value === null || value === undefined) {
    hash.update(`${value};`);
  } else if (ArrayBuffer.isView(value)) {
    hash.update(`${value.constructor.name}:${value.byteLength}:`).update(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  } else if (Array.isArray(value)) {
    hash.update(`[${value.length}:`);
    for (const v of value) feed(hash, v);
    hash.update(']');
  } else if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) throw new Error(`cannot digest a ${(value as object).constructor.name}`);
    const keys = Object.keys(value).sort();
    hash.update(`{${keys.length}:`);
    for (const k of keys) {
      hash.update(`${JSON.stringify(k)}=`);
      feed(hash, (value as Record<string, unknown>)[k]);
    }
    hash.update('}');
  } else if (typeof value === 'function' || typeof value === 'symbol') {
    throw new Error(`cannot digest a ${typeof value}`);
  } else {
    hash.update(`${typeof value}:${JSON.stringify(value)};`);
  }
}

/** Hex SHA-256 of the model's content (its name included: the same network under two names is two models). */
export function modelDigest(model: Model): string {
  return valueDigest(model);
}

/** Hex SHA-256 of any plain IR value, a plan for one, in the same canonical form. */
export function valueDigest(value: unknown): string {
  const hash = createHash('sha256');
  feed(hash, value);
  return hash.digest('hex');
}
