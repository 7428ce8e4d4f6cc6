// rig results merge: stores made apart (a lab without a shared store, a laptop) combined into one.
// Every source is only read (an older schema version is migrated in a temporary copy); the
// destination gets each source's nightlies and runs it does not hold, by uid, one source per
// transaction (Store.merge).
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { Store, type MergeCounts } from './db.js';

export interface SourceMerge extends MergeCounts {
  source: string;
  /** The source's schema version; an older one than this rig's was merged from a migrated copy. */
  schemaVersion: number;
}

export interface MergeReport {
  into: string;
  /** The destination did not exist before. */
  created: boolean;
  sources: SourceMerge[];
}

/** Whether two paths name one file: the same path, or (both existing) the same inode. */
function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const [sa, sb] = [statSync(a), statSync(b)];
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/**
 * Merges `sources` into `into` (created when missing, migrated like any store), in the order given.
 * Every source is checked and opened before the destination is: one that is missing or not a rig
 * database is refused (exit 2), naming it, and nothing is merged.
 */
export function mergeStores(sources: readonly string[], into: string): MergeReport {
  if (sources.length === 0) throw new UserError('Name at least one results database to merge', { exitCode: 2 });
  for (const source of sources) {
    if (sameFile(source, into)) throw new UserError(`--into ${into} is also a source (${source}): merge into another file`, { exitCode: 2 });
  }
  const tmp = mkdtempSync(join(tmpdir(), 'rig-merge-'));
  const opened: { source: string; store: Store; schemaVersion: number }[] = [];
  try {
    for (const [i, source] of sources.entries()) {
      opened.push({ source, ...Store.snapshot(source, join(tmp, `${i}.db`), 'source') });
    }
    const created = !existsSync(into);
    const dest = new Store(into, { option: '--into' });
    try {
      return { into, created, sources: opened.map(({ source, store, schemaVersion }) => ({ source, schemaVersion, ...dest.merge(store) })) };
    } finally {
      dest.close();
    }
  } finally {
    for (const { store } of opened) store.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
